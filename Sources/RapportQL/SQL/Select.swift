/// One SELECT as its parts, printed once: a level of a query on lines of its own, an events
/// pass on one line inside another statement.
struct Select {
    enum Layout { case lines, oneLine }

    var columns: [String]
    /// `profiles p`, `events e`, `(…) q`.
    var from: String
    /// Each whole: `JOIN … ON …`, `LEFT JOIN LATERAL (…) ea ON TRUE`.
    var joins: [String] = []
    var conditions: [String] = []
    var groupBy: [String] = []
    var having: [String] = []
    var orderBy: [String] = []
    var limit: Int?
    /// Printed only when above 0.
    var offset: Int?

    func printed(_ layout: Layout = .lines) -> String {
        let (clause, and) = layout == .lines ? ("\n", "\n  AND ") : (" ", " AND ")
        var sql = "SELECT " + columns.joined(separator: ", ") + clause + "FROM " + from
        for join in joins { sql += clause + join }
        if !conditions.isEmpty { sql += clause + "WHERE " + conditions.joined(separator: and) }
        if !groupBy.isEmpty { sql += clause + "GROUP BY " + groupBy.joined(separator: ", ") }
        if !having.isEmpty { sql += clause + "HAVING " + having.joined(separator: and) }
        if !orderBy.isEmpty { sql += clause + "ORDER BY " + orderBy.joined(separator: ", ") }
        if let limit { sql += clause + "LIMIT \(limit)" }
        if let offset, offset > 0 { sql += " OFFSET \(offset)" }
        return sql
    }
}
