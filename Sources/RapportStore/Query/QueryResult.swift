import Foundation
import RapportQL

/// One value of a result, typed by its column.
public enum QueryValue: Sendable, Equatable, Encodable {
    case text(String)
    /// Exact: numbers come from PostgreSQL as text and stay decimal.
    case number(Decimal)
    case boolean(Bool)
    /// ISO 8601, UTC.
    case timestamp(String)
    /// Seconds.
    case duration(Decimal)
    case null

    /// A value from the text PostgreSQL returned for a column of `type`.
    init(_ text: String?, type: FieldType) {
        guard let text else { self = .null; return }
        switch type {
        case .text: self = .text(text)
        case .number: self = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")).map(QueryValue.number) ?? .text(text)
        case .boolean: self = .boolean(text == "true")
        case .timestamp: self = .timestamp(text)
        case .duration: self = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")).map(QueryValue.duration) ?? .text(text)
        case .null: self = .null
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let value), .timestamp(let value): try container.encode(value)
        case .number(let value), .duration(let value): try container.encode(value)
        case .boolean(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }

    /// The value as a table cell shows it.
    public var display: String {
        switch self {
        case .text(let value), .timestamp(let value): value
        case .number(let value), .duration(let value): "\(value)"
        case .boolean(let value): value ? "true" : "false"
        case .null: "null"
        }
    }
}

/// Named, typed columns and rows: what every statement returns.
public struct QueryResult: Sendable, Encodable {
    public var columns: [ResultColumn]
    public var rows: [[QueryValue]]
    /// Whether rows were left out at the row cap.
    public var truncated: Bool
    public var elapsedMilliseconds: Double
    /// For `explain`: the SQL and its binds.
    public var sql: String?
    public var binds: [String]?

    public init(columns: [ResultColumn], rows: [[QueryValue]], truncated: Bool = false, elapsedMilliseconds: Double = 0,
                sql: String? = nil, binds: [String]? = nil) {
        self.columns = columns
        self.rows = rows
        self.truncated = truncated
        self.elapsedMilliseconds = elapsedMilliseconds
        self.sql = sql
        self.binds = binds
    }

    /// One text column named `name` holding `lines`.
    static func lines(_ name: String, _ lines: [String]) -> QueryResult {
        QueryResult(columns: [ResultColumn(name: name, type: .text)], rows: lines.map { [.text($0)] })
    }

    enum CodingKeys: String, CodingKey {
        case columns, rows, truncated, sql, binds
        case elapsedMilliseconds = "elapsed_ms"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(columns, forKey: .columns)
        try container.encode(rows, forKey: .rows)
        try container.encode(truncated, forKey: .truncated)
        try container.encode((elapsedMilliseconds * 1000).rounded() / 1000, forKey: .elapsedMilliseconds)
        try container.encodeIfPresent(sql, forKey: .sql)
        try container.encodeIfPresent(binds, forKey: .binds)
    }
}

/// How a query runs.
public struct QueryOptions: Sendable {
    /// The statement timeout (default 30 s): a query running longer is cancelled.
    public var timeout: Duration
    /// At most this many rows come back (default 10,000); the result says when it cut.
    public var rowCap: Int
    /// The query's `now` (default: the moment it runs); tests fix it.
    public var now: Date?

    public init(timeout: Duration = .seconds(30), rowCap: Int = 10_000, now: Date? = nil) {
        self.timeout = timeout
        self.rowCap = rowCap
        self.now = now
    }
}

/// Why a script did not run.
public enum QueryError: Error, CustomStringConvertible {
    /// The script has problems; nothing ran.
    case diagnostics([Diagnostic], source: String)
    /// The query ran longer than the statement timeout and was cancelled.
    case timeout(milliseconds: Int)
    /// `drop` of a definition others use.
    case inUse(String, usedBy: [String])

    public var description: String {
        switch self {
        case .diagnostics(let diagnostics, let source):
            let text = SourceText(source)
            return diagnostics.map { DiagnosticRenderer.render($0, in: text) }.joined(separator: "\n\n")
        case .timeout(let milliseconds):
            return "The query ran longer than the statement timeout of \(milliseconds) ms and was cancelled."
        case .inUse(let name, let users):
            return "`\(name)` is used by \(users.map { "`\($0)`" }.joined(separator: ", ")); drop or redefine \(users.count == 1 ? "it" : "them") first."
        }
    }
}
