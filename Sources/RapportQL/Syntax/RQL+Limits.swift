extension RQL {
    /// What one script may hold, so that no text can make the compiler, PostgreSQL or an
    /// answer grow without bound. Passing one is a diagnostic naming the limit (the list is
    /// in Grammar/README.md, "Limits"); nesting and list sizes are ``Parser``'s.
    public enum Limits {
        /// Statements in one script.
        public static let statements = 100
        /// Stages (`| …`) in one query.
        public static let stages = 50
        /// Items of one `select`, keys of one `group by` (with its `select`), keys of one `order by`.
        /// PostgreSQL's own limit is 1,664 output columns.
        public static let columns = 200
        /// Bytes of one string literal, after escapes.
        public static let stringBytes = 10_000
        /// Bytes of one name (backticked or bare).
        public static let nameBytes = 1_000
        /// Bytes of saved definitions one statement brings in, counting each use of a metric or
        /// segment again with the definitions it uses (a metric of a metric used twice, used
        /// twice, … doubles each time): the SQL grows with this, not with the script's text.
        public static let expandedBytes = 200_000
        /// Diagnostics returned for one script; past it, one `too-many-problems` stands for the rest.
        public static let diagnostics = 50
    }

    /// ``Limits/diagnostics``: a compilation returns at most this many diagnostics and one
    /// `too-many-problems` after them.
    public static let maxDiagnostics = Limits.diagnostics
}
