/// One SQL statement with its bind values and the result's named, typed columns. Every
/// column comes out of the SQL as text (numbers in full precision, timestamps and durations
/// in seconds since 1970 and seconds), to be read by its `type`.
public struct CompiledQuery: Sendable {
    public var sql: String
    public var binds: [SQLBind]
    public var columns: [ResultColumn]

    /// Which of the summary tables the statement reads.
    var summaryTables: [String] {
        ["profile_summaries", "event_summaries", "order_days"].filter { sql.range(of: "(FROM|JOIN) \($0) ", options: .regularExpression) != nil }
    }

    /// Whether the statement reads the per-profile summaries.
    public var readsSummaries: Bool { !summaryTables.isEmpty }

    /// What the statement reads of the events: the per-profile summaries (which tables), the
    /// raw events, both or neither (for `explain`).
    public var eventSources: [String] {
        var sources: [String] = []
        let tables = summaryTables
        if !tables.isEmpty { sources.append("per-profile summaries (\(tables.joined(separator: " and ")))") }
        if sql.range(of: #"(FROM|JOIN) events "#, options: .regularExpression) != nil { sources.append("raw events") }
        return sources
    }
}

public struct ResultColumn: Sendable, Equatable, Codable {
    public var name: String
    public var type: FieldType

    public init(name: String, type: FieldType) {
        self.name = name
        self.type = type
    }
}

/// A bind value; the SQL casts it where it is used (`$2::numeric`).
public enum SQLBind: Sendable, Hashable, CustomStringConvertible {
    case text(String)
    /// A decimal number as text.
    case numeric(String)
    /// An ISO 8601 instant.
    case timestamp(String)
    /// PostgreSQL interval text: `90 days`.
    case interval(String)
    /// JSON text, built by the compiler from literals (`{"plan":"pro"}`).
    case json(String)
    /// The moment the query runs, supplied by the executor.
    case now

    /// The value sent to PostgreSQL (as text), given the query's `now` in ISO 8601.
    public func value(now: String) -> String {
        switch self {
        case .text(let value), .numeric(let value), .timestamp(let value), .interval(let value), .json(let value): value
        case .now: now
        }
    }

    /// Binds are the same when their values are the same bytes, as PostgreSQL compares them
    /// (the writer shares one bind between equal values: Swift's `==` would give "é" composed
    /// and "é" decomposed one bind, and a question about both names would ask about one twice).
    public static func == (a: SQLBind, b: SQLBind) -> Bool {
        switch (a, b) {
        case (.text(let x), .text(let y)), (.numeric(let x), .numeric(let y)), (.timestamp(let x), .timestamp(let y)),
             (.interval(let x), .interval(let y)), (.json(let x), .json(let y)):
            x.sameBytes(as: y)
        case (.now, .now): true
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .text(let value): hasher.combine(0); value.hashBytes(into: &hasher)
        case .numeric(let value): hasher.combine(1); value.hashBytes(into: &hasher)
        case .timestamp(let value): hasher.combine(2); value.hashBytes(into: &hasher)
        case .interval(let value): hasher.combine(3); value.hashBytes(into: &hasher)
        case .json(let value): hasher.combine(4); value.hashBytes(into: &hasher)
        case .now: hasher.combine(5)
        }
    }

    public var description: String {
        switch self {
        case .text(let value): "text " + Literal.string(value).description
        case .numeric(let value): "\(SQLWriter.isSmallInteger(value) ? "bigint" : "numeric") \(value)"
        case .timestamp(let value): "timestamptz \(value)"
        case .interval(let value): "interval \(value)"
        case .json(let value): "jsonb \(value)"
        case .now: "timestamptz now"
        }
    }
}
