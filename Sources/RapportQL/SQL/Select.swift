/// One SELECT as its parts, printed once: a level of a query on lines of its own, a
/// subquery (an events pass, a funnel's step) on one line inside another statement.
struct Select {
    enum Layout { case lines, oneLine }
    enum Distinct { case rows, on([String]) }

    /// A common table expression: `name AS (body)`, or `AS MATERIALIZED` so that PostgreSQL
    /// computes it once for every reader.
    struct CTE {
        var name: String
        var materialized = false
        var body: String

        init(_ name: String, materialized: Bool = false, _ body: String) {
            self.name = name
            self.materialized = materialized
            self.body = body
        }
    }

    /// Common table expressions before it, one a line.
    var with: [CTE] = []
    var distinct: Distinct?
    var columns: [String]
    /// `profiles p`, `events e`, `(…) q`, or a chain of joins written as one.
    var from: String
    /// Each whole: `JOIN … ON …`, `LEFT JOIN LATERAL (…) ea ON TRUE`.
    var joins: [String] = []
    var conditions: [String] = []
    var groupBy: [String] = []
    var having: [String] = []
    var orderBy: [String] = []
    var limit: Int?
    /// `OFFSET 0` too, which keeps PostgreSQL from pulling a subquery into the one around it.
    var offset: Int?
    var layout = Layout.lines

    init(distinct: Distinct? = nil, columns: [String], from: String, joins: [String] = [], conditions: [String] = [],
         groupBy: [String] = [], having: [String] = [], orderBy: [String] = [], limit: Int? = nil, offset: Int? = nil,
         layout: Layout = .lines) {
        self.distinct = distinct
        self.columns = columns
        self.from = from
        self.joins = joins
        self.conditions = conditions
        self.groupBy = groupBy
        self.having = having
        self.orderBy = orderBy
        self.limit = limit
        self.offset = offset
        self.layout = layout
    }

    func printed() -> String {
        let (clause, and) = layout == .lines ? ("\n", "\n  AND ") : (" ", " AND ")
        var sql = with.isEmpty ? "" : "WITH " + with.map { "\($0.name) AS \($0.materialized ? "MATERIALIZED " : "")(\($0.body))" }
            .joined(separator: ",\n") + "\n"
        sql += "SELECT "
        switch distinct {
        case .rows?: sql += "DISTINCT "
        case .on(let keys)?: sql += "DISTINCT ON (" + keys.joined(separator: ", ") + ") "
        case nil: break
        }
        sql += columns.joined(separator: ", ") + clause + "FROM " + from
        for join in joins { sql += clause + join }
        if !conditions.isEmpty { sql += clause + "WHERE " + conditions.joined(separator: and) }
        if !groupBy.isEmpty { sql += clause + "GROUP BY " + groupBy.joined(separator: ", ") }
        if !having.isEmpty { sql += clause + "HAVING " + having.joined(separator: and) }
        if !orderBy.isEmpty { sql += clause + "ORDER BY " + orderBy.joined(separator: ", ") }
        if let limit { sql += clause + "LIMIT \(limit)" }
        if let offset { sql += " OFFSET \(offset)" }
        return sql
    }

    /// It as a subquery named `alias`: `(SELECT …) alias`.
    func named(_ alias: String) -> String { "(" + printed() + ") " + alias }
}

extension Select: CustomStringConvertible {
    /// Its SQL, so that a Select written into a statement's text is printed.
    var description: String { printed() }
}
