import Foundation
import RapportQL

/// One value of a result, typed by its column.
public enum QueryValue: Sendable, Equatable, Encodable {
    case text(String)
    /// Exact: the decimal text PostgreSQL returned.
    case number(String)
    case boolean(Bool)
    /// ISO 8601, UTC, with microseconds.
    case timestamp(String)
    /// Seconds, exact.
    case duration(String)
    case null

    /// A value from the text PostgreSQL returned for a column of `type` (timestamps come as
    /// seconds since 1970).
    init(_ text: String?, type: FieldType) {
        guard let text else { self = .null; return }
        switch type {
        case .text: self = .text(text)
        case .number: self = .number(text)
        case .boolean: self = .boolean(text == "true")
        case .timestamp: self = Self.iso(epochSeconds: text).map(QueryValue.timestamp) ?? .text(text)
        case .duration: self = .duration(text)
        case .null: self = .null
        }
    }

    /// `1704067200.000000` as `2024-01-01T00:00:00.000000Z` (years before 1 as `-0001`).
    static func iso(epochSeconds text: String) -> String? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard let whole = Int64(parts[0]) else { return nil }
        let fraction = parts.count > 1 ? String(parts[1].prefix(6)) : ""
        let micros = whole * 1_000_000 + (Int64(fraction.padding(toLength: 6, withPad: "0", startingAt: 0)) ?? 0) * (text.hasPrefix("-") ? -1 : 1)
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let microsOfSecond = micros - seconds * 1_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (y, m, d) = CivilDate.civil(days: Int(days))
        func pad(_ n: Int, _ width: Int) -> String {
            let digits = String(abs(n))
            return (n < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))."
            + pad(Int(microsOfSecond), 6) + "Z"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let value), .timestamp(let value): try container.encode(value)
        case .number(let value), .duration(let value):
            // A JSON number when a Decimal holds it exactly (38 digits), else the exact text.
            if let decimal = Decimal(string: value, locale: Locale(identifier: "en_US_POSIX")),
               Self.sameNumber("\(decimal)", value) {
                try container.encode(decimal)
            } else {
                try container.encode(value)
            }
        case .boolean(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }

    /// Whether two decimal texts are the same number (`12.50` and `12.5`).
    static func sameNumber(_ a: String, _ b: String) -> Bool {
        func canonical(_ text: String) -> String {
            var text = text
            if text.contains(".") {
                while text.hasSuffix("0") { text.removeLast() }
                if text.hasSuffix(".") { text.removeLast() }
            }
            return text == "-0" ? "0" : text
        }
        return canonical(a) == canonical(b)
    }

    /// A number's or duration's value (nil for other values, or past 38 digits).
    public var decimal: Decimal? {
        switch self {
        case .number(let text), .duration(let text): Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
        default: nil
        }
    }

    /// The value as a table cell shows it.
    public var display: String {
        switch self {
        case .text(let value), .timestamp(let value), .number(let value), .duration(let value): value
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
    /// For `explain`: what the statement reads of the events (the per-profile summaries, the
    /// raw events), and why not the summaries when they are not ready.
    public var reads: String?

    public init(columns: [ResultColumn], rows: [[QueryValue]], truncated: Bool = false, elapsedMilliseconds: Double = 0,
                sql: String? = nil, binds: [String]? = nil, reads: String? = nil) {
        self.reads = reads
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
        case columns, rows, truncated, sql, binds, reads
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
        try container.encodeIfPresent(reads, forKey: .reads)
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
    /// A name the caller chose, by which ``Store/cancelQuery(_:tenant:)`` can cancel it.
    public var id: String?
    /// At most this many bytes of values are read for one script (default 16 MiB), over all
    /// its statements; the result that reaches it is cut there and says so.
    public var byteCap: Int

    public init(timeout: Duration = .seconds(30), rowCap: Int = 10_000, now: Date? = nil, id: String? = nil,
                byteCap: Int = 16 << 20) {
        self.timeout = timeout
        self.rowCap = rowCap
        self.now = now
        self.id = id
        self.byteCap = byteCap
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
    /// The data could not be computed as the query asks (a date pushed out of range).
    case outOfRange(String)
    /// Cancelled on request (``Store/cancelQuery(_:tenant:)``, Ctrl-C in the REPL).
    case cancelled
    /// PostgreSQL refused the query as beyond one of its limits (columns, nesting, memory of
    /// one value): the query must be made smaller.
    case tooComplex(String)
    /// The tenant already runs a query under this ``QueryOptions/id``.
    case idInUse(String)
    /// The database is short of memory or connections for now: try again later.
    case databaseBusy
    /// The tenant has as many saved definitions as it may have.
    case tooManyDefinitions(Int)

    public var description: String {
        switch self {
        case .diagnostics(let diagnostics, let source):
            let text = SourceText(source)
            return diagnostics.map { DiagnosticRenderer.render($0, in: text) }.joined(separator: "\n\n")
        case .timeout(let milliseconds):
            return "The query ran longer than the statement timeout of \(milliseconds) ms and was cancelled."
        case .outOfRange(let what):
            return "The query could not be answered: \(what)."
        case .cancelled:
            return "The query was cancelled."
        case .tooManyDefinitions(let limit):
            return "This tenant has \(limit) saved definitions, as many as it may have; drop some before saving more."
        case .databaseBusy:
            return "The database is short of memory or connections at the moment; try the query again shortly."
        case .idInUse:
            return "A query with this id is already running; give each running query its own id."
        case .tooComplex(let what):
            return "The query is beyond what the database can run: \(what). Ask for fewer columns, values or levels."
        case .inUse(let name, let users):
            return "`\(name)` is used by \(users.map { "`\($0)`" }.joined(separator: ", ")); drop or redefine \(users.count == 1 ? "it" : "them") first."
        }
    }
}

/// A result read back from its JSON (`POST /v1/query`'s body): each cell decoded by its
/// column's type, numbers kept exact.
extension QueryResult: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let columns = try container.decode([ResultColumn].self, forKey: .columns)
        var rows: [[QueryValue]] = []
        var rowsContainer = try container.nestedUnkeyedContainer(forKey: .rows)
        while !rowsContainer.isAtEnd {
            var cells = try rowsContainer.nestedUnkeyedContainer()
            var row: [QueryValue] = []
            for column in columns {
                if try cells.decodeNil() {
                    row.append(.null)
                    continue
                }
                switch column.type {
                case .text: row.append(.text(try cells.decode(String.self)))
                case .timestamp: row.append(.timestamp(try cells.decode(String.self)))
                case .boolean: row.append(.boolean(try cells.decode(Bool.self)))
                case .number, .duration:
                    // A JSON number, or the exact text when a Decimal could not hold it.
                    let text: String
                    if let exact = try? cells.decode(String.self) { text = exact } else { text = "\(try cells.decode(Decimal.self))" }
                    row.append(column.type == .number ? .number(text) : .duration(text))
                case .null: row.append(.null)
                }
            }
            rows.append(row)
        }
        self.init(columns: columns, rows: rows, truncated: try container.decodeIfPresent(Bool.self, forKey: .truncated) ?? false,
                  elapsedMilliseconds: try container.decodeIfPresent(Double.self, forKey: .elapsedMilliseconds) ?? 0,
                  sql: try container.decodeIfPresent(String.self, forKey: .sql),
                  binds: try container.decodeIfPresent([String].self, forKey: .binds))
    }
}
