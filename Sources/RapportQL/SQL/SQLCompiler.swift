import Foundation

/// Turns a checked query into one PostgreSQL statement. Literals become binds; the only
/// identifiers are the tenant tables' own columns, fixed here; catalogue names (traits,
/// events, properties, identity kinds) are values and so binds as well.
///
/// The shapes: a profile question reads `profiles p`; its event aggregates, however many,
/// come from one grouped pass over the events (`FILTER` per aggregate), pre-filtered to
/// the events any aggregate reads, and joined once. Each level after the first reads the
/// one before as a subquery `q`.
public enum SQLCompiler {
    public struct Options: Sendable {
        /// At most this many rows come back (the executor asks for its row cap plus one,
        /// to know whether it cut).
        public var rowLimit: Int?
        /// The tenant's per-profile summaries, when they are ready: aggregates they answer
        /// exactly are read from them.
        public var summaries: SummaryAvailability?

        public init(rowLimit: Int? = nil, summaries: SummaryAvailability? = nil) {
            self.rowLimit = rowLimit
            self.summaries = summaries
        }
    }

    public static func compile(_ query: TypedQuery, options: Options = Options()) -> CompiledQuery {
        var writer = SQLWriter(source: query.source, summaries: options.summaries)
        var select: Select?
        var ordering: [(String, String)] = []
        for (index, level) in query.levels.enumerated() {
            let isLast = index == query.levels.count - 1
            (select, ordering) = writer.level(level, from: select?.named("q"), inherited: ordering, final: isLast,
                                              rowLimit: isLast ? options.rowLimit : nil, first: index == 0)
        }
        return CompiledQuery(sql: select?.printed() ?? "", binds: writer.binds,
                             columns: query.columns.map { ResultColumn(name: $0.name, type: $0.type) })
    }
}

/// Writes SQL text, collecting binds (one per distinct value).
struct SQLWriter {
    let source: TypedQuery.Source
    var binds: [SQLBind] = []
    var bindIndex: [SQLBind: Int] = [:]
    /// The tenant's per-profile summaries, if they are ready (nil: every aggregate reads events).
    let summaries: SummaryAvailability?
    /// The event aggregates of the level being written, each once: its holes
    /// (`SQLText.Part.aggregate`) index them.
    var aggregates: [PassAggregate] = []

    init(source: TypedQuery.Source, summaries: SummaryAvailability? = nil) {
        self.source = source
        self.summaries = summaries
    }

    mutating func bind(_ value: SQLBind) -> String {
        let index: Int
        if let existing = bindIndex[value] {
            index = existing
        } else {
            binds.append(value)
            index = binds.count
            bindIndex[value] = index
        }
        switch value {
        case .text: return "$\(index)"
        case .numeric(let value): return "$\(index)::" + (Self.isSmallInteger(value) ? "bigint" : "numeric")
        case .timestamp, .now: return "$\(index)::timestamptz"
        case .interval: return "$\(index)::interval"
        case .json: return "$\(index)::jsonb"
        }
    }

    /// Whole numbers that fit a bigint bind as one, so that comparing a count with them
    /// needs no numeric conversion.
    static func isSmallInteger(_ value: String) -> Bool {
        let digits = value.hasPrefix("-") ? value.dropFirst() : Substring(value)
        return !digits.isEmpty && digits.count <= 18 && digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber)
    }

    /// Whether the profile `id` (a column of a row that is not the profile's own) is live: not
    /// merged into another (a row of `profiles` itself says so with `live(profileRow:)`).
    static func live(profileRow alias: String) -> String { "\(alias).merged_into IS NULL" }

    static func live(_ id: String) -> String {
        "NOT EXISTS (SELECT 1 FROM profiles m WHERE m.id = \(id) AND m.merged_into IS NOT NULL)"
    }

    /// How many profiles are live: all of them less the merged, each counted from an index
    /// (the primary key; `profiles_merged_ids`) rather than by reading every profile's row.
    static let liveProfileCount = "((SELECT count(*) FROM profiles) - (SELECT count(*) FROM profiles WHERE merged_into IS NOT NULL))"

    // MARK: Levels

    /// How a level is written, decided from the typed level alone, before any of its SQL.
    enum LevelShape: Equatable {
        /// A count of profiles whose conditions are all on their events: counted from the
        /// events pass alone (every event belongs to a profile, so "live" is "not among the
        /// merged", a far smaller set).
        case countFromEvents
        /// About many profiles, with a condition that needs events: the events it needs
        /// joined to the profiles that pass the other conditions and grouped by profile, so a
        /// trait filter narrows the events read.
        case groupedJoin
        /// About a few profiles named by an identifier or an id: their events read by index
        /// (a LATERAL pass per profile).
        case namedProfiles
        /// Rows of profiles (with one grouped events pass joined by profile when it reads
        /// aggregates), of events, or of the level before.
        case rows

        static func of(_ level: Level, first: Bool, source: TypedQuery.Source) -> LevelShape {
            if SQLWriter.countsFromEvents(level, first: first, source: source) { return .countFromEvents }
            let profiles = first && source == .profiles
            if profiles, level.filters.contains(where: SQLWriter.picksFewProfiles) { return .namedProfiles }
            if profiles, level.groupKeys == nil, level.filters.flatMap(SQLWriter.conjuncts).contains(where: { SQLWriter.needsEvents($0) }) {
                return .groupedJoin
            }
            return .rows
        }
    }

    /// Where a level's event aggregates are read, which its plan decides once they are all written.
    enum Placement: Equatable {
        /// Columns `ea.a1…` of a pass over the events (or the summaries) joined by profile.
        case pass
        /// In place (`count(*) FILTER (…)`), over the grouped join's `e`: the summaries when
        /// they answer every aggregate of the level, the events otherwise.
        case inPlace(summaries: Bool)
    }

    /// `text` with its holes filled as `placement` says.
    func printed(_ text: SQLText, _ placement: Placement) -> String {
        text.printed { part in
            switch part {
            case .sql(let sql): return sql
            case .aggregate(let index):
                let aggregate = aggregates[index]
                switch placement {
                case .pass: return "ea.\(aggregate.column)"
                case .inPlace(summaries: true): return "(\((aggregate.summary ?? aggregate.sql).filtered))"
                case .inPlace(summaries: false): return "(\(aggregate.sql.filtered))"
                }
            case .ranked(let field, _): return "vr.\(field.rawValue)"
            }
        }
    }

    /// One level's SELECT; `from` is the previous level as a subquery `q`. Returns the SELECT and the
    /// level's full ordering (its `order by`, then the tie-breaks), which a next level
    /// inherits through hidden columns `t1…` when it orders nothing itself.
    ///
    /// The plan: the level's shape follows from the typed level alone (`countsFromEvents`,
    /// `groupedJoin`, a few named profiles); its expressions are written once, with holes for
    /// aggregates and ranked fields; then where the aggregates are read follows from what was
    /// written (in place over the summaries only when they answer every one), and the level
    /// is printed.
    mutating func level(_ level: Level, from: String?, inherited: [(String, String)], final: Bool, rowLimit: Int?,
                        first: Bool) -> (select: Select, ordering: [(String, String)]) {
        aggregates = []
        let context: Context = from == nil ? (source == .profiles ? .profile : .event) : .previous
        let shape = LevelShape.of(level, first: first, source: source)
        if shape == .countFromEvents {
            var filters: [SQLText] = ["\(Self.live("ea.profile_id"))"]
            for filter in level.filters.flatMap(Self.conjuncts) {
                if Self.isNotDid(filter), case .not(let inner) = filter.kind, case .binary(_, let counted, _) = inner.kind {
                    filters.append("NOT \(exists(counted, profile: "ea.profile_id"))")
                } else {
                    filters.append(expr(filter, context))
                }
            }
            let count = Select(columns: ["count(*)\(final ? "::text" : "") AS c1"], from: "(" + eventsPass(lateral: false) + ") ea",
                               conditions: filters.map { printed($0, .pass) })
            return (count, [])
        }
        let groupedJoin = shape == .groupedJoin
        var filters: [SQLText] = []
        var having: [SQLText] = []
        if first, source == .profiles { filters.append("\(Self.live(profileRow: "p"))") }
        // `did E` conditions of a grouped join, each with the events it tests: where the join reads
        // exactly those, every group has one, and the semi-join is dropped below (left in, it only
        // leads the planner to drive from the events and look up every profile that has them).
        var didTests: [(condition: SQLText, events: String?)] = []
        // Whether every condition on the group reads the events' aggregates alone (not the profile).
        var havingReadsAggregatesOnly = true
        if groupedJoin {
            // A condition on an aggregate is on the group.
            for conjunct in level.filters.flatMap(Self.conjuncts) {
                let condition = topLevelFilter(conjunct, context)
                if condition.readsAggregate {
                    having.append(condition)
                    havingReadsAggregatesOnly = havingReadsAggregatesOnly && Self.passOnly(conjunct, valueFields: false)
                } else {
                    filters.append(condition)
                }
                if let aggregate = Self.didAggregate(conjunct) { didTests.append((condition, eventCondition(aggregate))) }
            }
        } else {
            for filter in level.filters { filters.append(topLevelFilter(filter, context)) }
        }

        var selectList: [SQLText]
        var groupBy: [SQLText] = []
        var tiebreaks: [(SQLText, String)]
        if level.isCount {
            selectList = groupedJoin ? ["1"] : ["count(*)\(final ? "::text" : "") AS c1"]
            tiebreaks = []
        } else {
            if let keys = level.groupKeys {
                groupBy = keys.map { expr($0, context) }
                tiebreaks = zip(keys, groupBy).map { (orderTerm($1, type: $0.type), " NULLS LAST") }
            } else {
                switch context {
                case .profile: tiebreaks = [("p.id", "")]
                case .event: tiebreaks = [("e.ts", ""), ("e.message_id", "")]
                case .previous: tiebreaks = inherited.enumerated().map { ("q.t\($0.offset + 1)", $0.element.1) }
                }
            }
            selectList = level.columns.enumerated().map { index, column in
                let value = expr(column.expr, context)
                return (final ? output(value, type: column.type) : value) + " AS c\(index + 1)"
            }
        }
        let ordering: [(SQLText, String)] = level.order.map { item in
            (orderTerm(expr(item.expr, context), type: item.expr.type), item.descending ? " DESC NULLS LAST" : " NULLS LAST")
        } + tiebreaks
        if !final, !level.isCount {
            // Hidden columns carrying the order to the next level.
            selectList += ordering.enumerated().map { "\($1.0) AS t\($0 + 1)" }
        }

        // Whether every row has a row in the events pass (a condition fails without one).
        let passIsInner = level.filters.contains { Self.needsEvents($0) }
        let placement: Placement = groupedJoin ? .inPlace(summaries: summaries != nil && aggregates.allSatisfy { $0.summary != nil }) : .pass
        let written = filters + having + selectList + groupBy + ordering.map(\.0)
        let ranked = written.flatMap(\.ranked)
        func print(_ text: SQLText) -> String { printed(text, placement) }

        var select: Select
        switch context {
        case .profile: select = Select(columns: selectList.map(print), from: "profiles p")
        case .event: select = Select(columns: selectList.map(print), from: "events e")
        case .previous: select = Select(columns: selectList.map(print), from: from ?? "")
        }
        select.groupBy = groupBy.map(print)
        if groupedJoin {
            let joined = eventsNeeded()
            filters.removeAll { filter in didTests.contains { $0.events == joined && $0.condition == filter } }
            select.joins.append("JOIN \(placement == .inPlace(summaries: true) ? "event_summaries" : "events") e ON e.profile_id = p.id"
                                + (joined.map { " AND (\($0))" } ?? ""))
            select.groupBy = ["p.id"]
        } else if !aggregates.isEmpty {
            // A question about a few named profiles reads just their events, by index; any
            // other reads all the events it needs in one grouped pass.
            if shape == .namedProfiles {
                select.joins.append("LEFT JOIN LATERAL (" + eventsPass(lateral: true) + ") ea ON TRUE")
            } else {
                select.joins.append("\(passIsInner ? "JOIN" : "LEFT JOIN") (" + eventsPass(lateral: false) + ") ea ON ea.profile_id = p.id")
            }
        }
        if let settings = ranked.last?.settings {
            let fields = Set(ranked.map(\.field))
            if shape == .rows, aggregates.isEmpty, Self.groupsByRankingAlone(level, first: first, source: source) {
                // Grouped by the ranking alone: its rows, one per live profile, are the level's.
                select.from = "(\(rankingRows(settings, ranked: fields, everyLiveProfile: true))) vr"
                filters = []
            } else {
                select.joins.append("LEFT JOIN (\(rankingRows(settings, ranked: fields, everyLiveProfile: false))) vr ON vr.profile_id = p.id")
            }
            if groupedJoin { select.groupBy += fields.map { "vr.\($0.rawValue)" }.sorted() }
        }
        select.conditions = filters.map(print)
        select.having = having.map(print)
        if groupedJoin, level.isCount {
            var groups = select
            if placement == .inPlace(summaries: true), ranked.isEmpty, havingReadsAggregatesOnly {
                // Counted over the summaries, the joined rows are sorted by profile where they are
                // joined (in each parallel worker) and grouped as they come, in order. Grouped where
                // they are joined instead, each worker would hold a partial group for nearly every
                // profile, whose sums (numeric) are then written out, read back and combined one by
                // one: that took longer than the join itself. OFFSET 0 keeps the sorted rows a
                // subquery of their own; the group's conditions read only the summaries' columns.
                let rows = Select(columns: ["p.id AS pid", "e.*"], from: select.from, joins: select.joins, conditions: select.conditions,
                                  orderBy: ["p.id"], offset: 0, layout: .oneLine)
                groups = Select(columns: ["1"], from: rows.named("e"), groupBy: ["e.pid"], having: select.having)
            }
            return (Select(columns: ["count(*)\(final ? "::text" : "") AS c1"], from: groups.named("g")), [])
        }
        let printedOrdering = ordering.map { (print($0.0), $0.1) }
        if !level.isCount, final || level.limit != nil, !ordering.isEmpty {
            select.orderBy = printedOrdering.map { $0.0 + $0.1 }
        }
        select.limit = [level.limit, rowLimit].compactMap { $0 }.min()
        select.offset = level.offset.flatMap { $0 > 0 ? $0 : nil }
        // (Only with the query's own limit: the executor's row cap would make every `order by` a
        // top of ten thousand, and `explain`, compiled without the cap, would show another plan.)
        if shape == .rows, context == .profile, !aggregates.isEmpty, !passIsInner, ranked.isEmpty, !level.isCount,
           level.groupKeys == nil, level.limit != nil, !level.order.isEmpty, level.order.allSatisfy({ Self.passOnly($0.expr) }),
           ordering.prefix(level.order.count).contains(where: { $0.0.readsAggregate }),
           !level.filters.contains(where: Self.needsPassRow) {
            select = Self.topByPass(select, pass: eventsPass(lateral: false), keys: Array(printedOrdering.prefix(level.order.count)),
                                    onlyLive: level.filters.isEmpty, passIsLive: passReadsSummariesAlone)
        }
        return (select, printedOrdering)
    }

    /// A level of profiles ordered by their aggregates alone, with a limit, as the few profiles it
    /// can return read again in full: the first `limit + offset` of those with a row in the events
    /// pass, in the level's order, and as many of those without one, whose keys are all alike (the
    /// aggregates of no events) and so in id order, the order's tie-break. (Those may come first:
    /// a count of 0 ascending, a sum above a negative one.) PostgreSQL then sorts the pass's rows
    /// and at most walks the profiles' primary key a little way, instead of joining the pass to
    /// every live profile and sorting them all. When the only condition is that the profile is
    /// live, the pass's rows are taken in order and each looked up until there are enough (a
    /// condition that few pass could make that walk long, so then they are joined).
    ///
    /// `select` reads `profiles p` with the pass joined as `ea`; `keys` are the level's order
    /// terms (SQL over `ea` alone, and each one's direction), before the tie-break `p.id`;
    /// `onlyLive`, whether the level has no condition but liveness; `passIsLive`, whether
    /// every row of the pass is a live profile's (a pass of the summaries alone, which a merge
    /// moves to the profile merged into): then the first rows in order are the top, with no
    /// lookup, and PostgreSQL keeps just those as it reads instead of sorting them all. The
    /// pass becomes a materialized CTE that all the parts read.
    static func topByPass(_ select: Select, pass: String, keys: [(String, String)], onlyLive: Bool, passIsLive: Bool) -> Select {
        guard let limit = select.limit else { return select }
        let wanted = limit + (select.offset ?? 0)
        let withRow: Select
        if onlyLive, passIsLive {
            withRow = Select(columns: ["ea.profile_id AS id"], from: "ea", orderBy: keys.map { $0.0 + $0.1 } + ["ea.profile_id"],
                             limit: wanted, layout: .oneLine)
        } else if onlyLive {
            // The pass's rows in order, with the keys as columns `k1…` so that the order is known
            // to hold through the lookups; each looked up by the primary key, until enough.
            let names = keys.indices.map { "k\($0 + 1)" }
            let ordered = Select(columns: ["ea.*"] + zip(keys, names).map { "\($0.0) AS \($1)" }, from: "ea",
                                 orderBy: zip(keys, names).map { $1 + $0.1 } + ["ea.profile_id"], layout: .oneLine)
            withRow = Select(columns: ["ea.profile_id AS id"], from: ordered.named("ea"),
                             joins: ["CROSS JOIN LATERAL (SELECT 1 FROM profiles p WHERE p.id = ea.profile_id AND "
                                     + select.conditions.joined(separator: " AND ") + " LIMIT 1) live"],
                             orderBy: zip(keys, names).map { "ea.\($1)\($0.1)" } + ["ea.profile_id"], limit: wanted,
                             layout: .oneLine)
        } else {
            withRow = Select(columns: ["p.id"], from: "profiles p", joins: ["JOIN ea ON ea.profile_id = p.id"],
                             conditions: select.conditions, orderBy: select.orderBy, limit: wanted, layout: .oneLine)
        }
        let withoutRow = Select(columns: ["p.id"], from: "profiles p", joins: ["LEFT JOIN ea ON ea.profile_id = p.id"],
                                conditions: ["ea.profile_id IS NULL"] + select.conditions, orderBy: ["p.id"], limit: wanted,
                                layout: .oneLine)
        var top = select
        top.with.append(Select.CTE("ea", materialized: true, pass))
        top.from = "((\(withRow)) UNION ALL (\(withoutRow))) t JOIN profiles p ON p.id = t.id"
        top.joins = ["LEFT JOIN ea ON ea.profile_id = p.id"]
        top.conditions = []
        return top
    }

    /// Whether `filter` (a `where` of the first level) keeps only profiles named by an
    /// identifier or an id.
    static func picksFewProfiles(_ filter: TypedExpr) -> Bool {
        switch filter.kind {
        case .identityTest(_, .equal, _): return true
        case .binary(.and, let left, let right): return picksFewProfiles(left) || picksFewProfiles(right)
        case .binary(.or, let left, let right): return picksFewProfiles(left) && picksFewProfiles(right)
        case .binary(.equal, let left, let right):
            if case .profileColumn(.id) = left.kind, case .number = right.kind { return true }
            if case .profileColumn(.id) = right.kind, case .number = left.kind { return true }
            return false
        case .inList(let value, let items, false):
            guard case .profileColumn(.id) = value.kind else { return false }
            return items.allSatisfy { if case .number = $0.kind { true } else { false } }
        default: return false
        }
    }

    /// The pass over the events for this level's aggregates: grouped by profile, or (lateral)
    /// for the one profile of the outer row.
    ///
    /// With the summaries ready, the aggregates they answer read `event_summaries` (as `e`,
    /// whose `type` and `name` the event conditions test as they would an event's): all of
    /// them when every aggregate has a summary form; otherwise, when each of the others reads
    /// only events of a name or type (with a property filter or a window), those are read in a
    /// pass of their own beside the summaries, joined by profile. A profile missing from one side has
    /// null there, as it has in the whole pass when it has no events: counts and sums are read
    /// through `COALESCE`, and the others are null without events anyway.
    ///
    /// When some aggregates are columns of the profiles' own summary rows (`profile_summaries`:
    /// the value fields, and the count, first and last of all events), the pass is those rows,
    /// one per profile with events, and the other aggregates are joined to them by profile (every
    /// profile with a summary row or an event has one). Its rows are then those of every profile
    /// with events, whether or not it has any the other aggregates read: such a row holds what a
    /// missing row would (null values, counts of 0, which are read through `COALESCE`).
    func eventsPass(lateral: Bool, ownRowsWhere: String? = nil) -> String {
        let raw = aggregates.map { (sql: $0.sql, column: $0.column, condition: $0.condition) }
        guard summaries != nil, aggregates.contains(where: { $0.summary != nil }) else {
            return Self.pass(raw, table: "events", lateral: lateral)
        }
        if readsProfileSummaries(lateral: lateral) {
            let own = aggregates.filter { $0.perProfile != nil }
            let held = aggregates.filter { $0.perProfile == nil && $0.summary != nil }
            let rest = aggregates.filter { $0.summary == nil }
            var select = Select(columns: ["v.profile_id"] + own.map { "\($0.perProfile!) AS \($0.column)" }, from: "profile_summaries v",
                                conditions: ownRowsWhere.map { [$0] } ?? [], layout: .oneLine)
            for (part, alias, table) in [(held, "s", "event_summaries"), (rest, "r", "events")] where !part.isEmpty {
                select.columns += part.map { "\(alias).\($0.column) AS \($0.column)" }
                let columns = part.map { (table == "events" ? $0.sql : $0.summary!, $0.column, $0.condition) }
                select.joins.append("LEFT JOIN (\(Self.pass(columns, table: table, lateral: false))) \(alias) ON \(alias).profile_id = v.profile_id")
            }
            return select.printed()
        }
        if aggregates.allSatisfy({ $0.summary != nil }) {
            return Self.pass(aggregates.map { ($0.summary!, $0.column, $0.condition) }, table: "event_summaries", lateral: lateral)
        }
        // Split only where the events left to read are those of some names or types (an
        // aggregate of all events, even within a window, would read most of them anyway).
        guard !lateral, aggregates.allSatisfy({ $0.summary != nil || $0.namesEvents }) else {
            return Self.pass(raw, table: "events", lateral: lateral)
        }
        let held = aggregates.compactMap { aggregate in aggregate.summary.map { (sql: $0, column: aggregate.column, condition: aggregate.condition) } }
        let rest = aggregates.filter { $0.summary == nil }
        let columns = held.map { "s.\($0.column) AS \($0.column)" } + rest.map { "r.\($0.column) AS \($0.column)" }
        return "SELECT COALESCE(s.profile_id, r.profile_id) AS profile_id, " + columns.joined(separator: ", ")
            + " FROM (" + Self.pass(held, table: "event_summaries", lateral: false) + ") s FULL JOIN ("
            + Self.pass(rest.map { ($0.sql, $0.column, $0.condition) }, table: "events", lateral: false) + ") r ON r.profile_id = s.profile_id"
    }

    /// Whether the level's events pass (see `eventsPass`) reads the summaries alone, or is the
    /// profiles' own summary rows: either way, its rows are those of live profiles.
    var passReadsSummariesAlone: Bool {
        summaries != nil && (aggregates.allSatisfy { $0.summary != nil } || readsProfileSummaries(lateral: false))
    }

    /// Whether the level's events pass is `profile_summaries`' rows (see `eventsPass`): when the
    /// summaries are ready, some aggregate is a column of those rows, and each of the others
    /// reads the summaries or the events of some names or types.
    func readsProfileSummaries(lateral: Bool) -> Bool {
        summaries != nil && !lateral && aggregates.contains { $0.perProfile != nil }
            && aggregates.allSatisfy { $0.summary != nil || $0.namesEvents }
    }

    /// One grouped read of `table` for `columns` (SQL, column name, event condition).
    static func pass(_ columns: [(sql: AggregateSQL, column: String, condition: EventFilter?)], table: String, lateral: Bool) -> String {
        // When every aggregate reads the same events, the pass's WHERE already says which:
        // the FILTERs would only test it again on every row.
        let shared = columns.first?.condition.flatMap { first in columns.allSatisfy { $0.condition == first } ? first : nil }
        var select = Select(columns: (lateral ? [] : ["e.profile_id"])
                                + columns.map { "\(shared == nil ? $0.sql.filtered : $0.sql.plain) AS \($0.column)" },
                            from: "\(table) e")
        if lateral { select.conditions.append("e.profile_id = p.id") }
        if let events = eventsNeeded(columns.map(\.condition)) { select.conditions.append(lateral ? "(\(events))" : events) }
        if !lateral { select.groupBy = ["e.profile_id"] }
        select.layout = .oneLine
        return select.printed()
    }

    /// The events any aggregate reads (nil: all of them), so the pass skips the others.
    func eventsNeeded() -> String? { Self.eventsNeeded(aggregates.map(\.condition)) }

    static func eventsNeeded(_ conditions: [EventFilter?]) -> String? {
        guard !conditions.contains(where: { $0 == nil }) else { return nil }
        var distinct = conditions.compactMap { $0 }.reduce(into: [EventFilter]()) { if !$0.contains($1) { $0.append($1) } }
        // `A AND window` adds nothing to an OR that has `A`.
        distinct = distinct.filter { condition in !distinct.contains { $0.narrowed(to: condition) } }
        return distinct.count == 1 ? distinct[0].sql : distinct.map { "(\($0.sql))" }.joined(separator: " OR ")
    }

    /// A `where` at the top of a level: an identity equality there becomes a semi-join on
    /// the identities' primary key (null and false both drop the row, so it is the same).
    /// The same holds for the other shapes here: `did E` as a semi-join (`not did E` an
    /// anti-join) on the events that match, and a trait equal to a literal as JSON
    /// containment; each is false where the general form would be null, which a `where`
    /// at the top treats alike.
    mutating func topLevelFilter(_ filter: TypedExpr, _ context: Context) -> SQLText {
        guard context == .profile else { return expr(filter, context) }
        switch filter.kind {
        case .identityTest(let kind, .equal, let values):
            let list = values.map { expr($0, context) }
            let match: SQLText = list.count == 1 ? "= \(list[0])" : "IN (\(list.joined(separator: ", ")))"
            return "p.id IN (SELECT i.profile_id FROM identities i WHERE i.kind = \(bind(.text(kind))) AND i.value \(match))"
        case .binary(.and, let left, let right):
            return topLevelFilter(left, context) + "\n  AND " + topLevelFilter(right, context)
        case .inSegment(_, let predicate):
            // At the top, "false where null" changes nothing: the segment's own conditions.
            return topLevelFilter(predicate, context)
        case .binary(.greater, let counted, let zero) where Self.isDid(counted, zero):
            return "\(exists(counted))"
        case .not(let inner):
            if case .binary(.greater, let counted, let zero) = inner.kind, Self.isDid(counted, zero) { return "NOT \(exists(counted))" }
        case .binary(.equal, let trait, let value):
            if let containment = traitContainment(trait, [value]) { return "\(containment)" }
        case .inList(let trait, let values, false):
            if let containment = traitContainment(trait, values) { return "\(containment)" }
        default:
            break
        }
        return expr(filter, context)
    }

    /// `text` as a JSON string.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Whether `counted > zero` is `did E`: a count of events (no property) above 0.
    static func isDid(_ counted: TypedExpr, _ zero: TypedExpr) -> Bool {
        guard case .eventAggregate(let aggregate) = counted.kind, aggregate.function == .count, aggregate.property == nil,
              case .number("0") = zero.kind else { return false }
        return true
    }

    mutating func exists(_ counted: TypedExpr, profile: String = "p.id") -> String {
        guard case .eventAggregate(let aggregate) = counted.kind else { return "FALSE" }
        let condition = eventCondition(aggregate).map { " AND \($0)" } ?? ""
        // A summary row stands for at least one event of its kind; a profile has its own
        // summary row when it has any event.
        guard summaries != nil, aggregate.window == nil, aggregate.filter == nil else {
            return "EXISTS (SELECT 1 FROM events e WHERE e.profile_id = \(profile)\(condition))"
        }
        if condition.isEmpty { return "EXISTS (SELECT 1 FROM profile_summaries v WHERE v.profile_id = \(profile))" }
        return "EXISTS (SELECT 1 FROM event_summaries e WHERE e.profile_id = \(profile)\(condition))"
    }

    /// The aggregate of `filter` when it is `did E` (`count(E) > 0`).
    static func didAggregate(_ filter: TypedExpr) -> EventAggregate? {
        guard case .binary(.greater, let counted, let zero) = filter.kind, isDid(counted, zero),
              case .eventAggregate(let aggregate) = counted.kind else { return nil }
        return aggregate
    }

    /// Whether `filter` is false for every profile without a row in the events pass (`needsEvents`
    /// with `did` counted and value fields compared, and through an `or` too: both sides). With such a condition a top by
    /// aggregates looking for those profiles in id order would visit them all to find none.
    static func needsPassRow(_ filter: TypedExpr) -> Bool {
        switch filter.kind {
        case .binary(.or, let left, let right): return needsPassRow(left) && needsPassRow(right)
        case .binary(.and, let left, let right): return needsPassRow(left) || needsPassRow(right)
        case .inSegment(_, let predicate): return needsPassRow(predicate)
        case .binary(let op, let left, let right) where op.isComparison && comparisonFailsWithoutEvents(op, left, right, valueWithoutEvents):
            return true
        default: return needsEvents(filter, didInPass: true)
        }
    }

    static func isNotDid(_ filter: TypedExpr) -> Bool {
        guard case .not(let inner) = filter.kind else { return false }
        return didAggregate(inner) != nil
    }

    /// Whether `expr` reads nothing of the profile but its event aggregates (a value field is
    /// some of those, unless `valueFields` is false; a tier or rfm ranks every profile).
    static func passOnly(_ expr: TypedExpr, valueFields: Bool = true) -> Bool {
        func only(_ e: TypedExpr) -> Bool { passOnly(e, valueFields: valueFields) }
        switch expr.kind {
        case .eventAggregate, .text, .number, .boolean, .timestamp, .duration, .null, .now, .today: return true
        case .value(let field, _): return valueFields && field != .tier && field != .rfm
        case .not(let e), .negate(let e), .isNull(let e, _), .inSegment(_, let e): return only(e)
        case .binary(_, let l, let r): return only(l) && only(r)
        case .inList(let e, let items, _): return only(e) && items.allSatisfy(only)
        case .inWindow(let e, let window): return only(e) && [window.from, window.to].compactMap { $0 }.allSatisfy(only)
        default: return false
        }
    }

    /// Whether a first level of profiles groups them by ranked fields (`tier`, `rfm`) alone,
    /// with no condition, and reads nothing else of them: then its rows are the ranking's
    /// rows, one per live profile, and the profiles need not be read and joined to them.
    static func groupsByRankingAlone(_ level: Level, first: Bool, source: TypedQuery.Source) -> Bool {
        guard first, source == .profiles, level.filters.isEmpty, let keys = level.groupKeys, !keys.isEmpty else { return false }
        return (keys + level.columns.map(\.expr) + level.order.map(\.expr)).allSatisfy(readsRankingOnly)
    }

    /// Whether `expr` reads nothing of a profile but its ranked fields and the group's counts.
    static func readsRankingOnly(_ expr: TypedExpr) -> Bool {
        switch expr.kind {
        case .text, .number, .boolean, .timestamp, .duration, .null, .now, .today: return true
        case .value(let field, _): return field == .tier || field == .rfm
        case .rowAggregate(_, let argument): return argument.map(readsRankingOnly) ?? true
        case .not(let e), .negate(let e), .isNull(let e, _): return readsRankingOnly(e)
        case .binary(_, let l, let r): return readsRankingOnly(l) && readsRankingOnly(r)
        case .inList(let e, let items, _): return readsRankingOnly(e) && items.allSatisfy(readsRankingOnly)
        default: return false
        }
    }

    /// A count of profiles whose conditions are all on their events, at least one of which
    /// needs an event: counted from the events pass alone. Every event belongs to a profile
    /// (a foreign key), so "live" is "not among the merged", a far smaller set.
    static func countsFromEvents(_ level: Level, first: Bool, source: TypedQuery.Source) -> Bool {
        guard first, source == .profiles, level.isCount, level.groupKeys == nil, !level.filters.isEmpty else { return false }
        let conjuncts = level.filters.flatMap(Self.conjuncts)
        guard conjuncts.allSatisfy({ passOnly($0) }), conjuncts.contains(where: { needsEvents($0, didInPass: true) }) else { return false }
        // A `not did` is then an anti-join per group of the pass: worth it when the pass reads few
        // events (each of its aggregates within a window); over all time it would look up nearly
        // every profile with events, so it stays with the profiles.
        guard conjuncts.contains(where: isNotDid) else { return true }
        return conjuncts.filter { !isNotDid($0) }.allSatisfy(readsWindowsOnly)
    }

    /// Whether every event aggregate `expr` reads is within a window.
    static func readsWindowsOnly(_ expr: TypedExpr) -> Bool {
        switch expr.kind {
        case .eventAggregate(let aggregate): return aggregate.window != nil
        case .not(let e), .negate(let e), .isNull(let e, _), .inSegment(_, let e): return readsWindowsOnly(e)
        case .binary(_, let l, let r): return readsWindowsOnly(l) && readsWindowsOnly(r)
        case .inList(let e, let items, _): return readsWindowsOnly(e) && items.allSatisfy(readsWindowsOnly)
        case .inWindow(let e, _): return readsWindowsOnly(e)
        default: return true
        }
    }

    /// `a and b and c` as `[a, b, c]`, a segment at the top as its own conditions.
    static func conjuncts(_ filter: TypedExpr) -> [TypedExpr] {
        switch filter.kind {
        case .binary(.and, let left, let right): return conjuncts(left) + conjuncts(right)
        case .inSegment(_, let predicate): return conjuncts(predicate)
        default: return [filter]
        }
    }

    /// `plan = "pro"`, `country in ("DE", "FR")` as `traits @> {"plan": "pro"}` (ORed).
    mutating func traitContainment(_ trait: TypedExpr, _ values: [TypedExpr]) -> String? {
        guard case .trait(let name) = trait.kind, !values.isEmpty else { return nil }
        var terms: [String] = []
        for value in values {
            let json: String
            switch value.kind {
            case .text(let text): json = Self.jsonString(text)
            case .boolean(let flag): json = flag ? "true" : "false"
            default: return nil
            }
            // The object as one bind (`{"plan":"pro"}`), so the planner sees a constant.
            terms.append("p.traits @> \(bind(.json("{" + Self.jsonString(name) + ":" + json + "}")))")
        }
        return terms.count == 1 ? terms[0] : "(" + terms.joined(separator: " OR ") + ")"
    }

    /// Whether `filter` (a `where` at the top) fails for every profile without a row in the
    /// events pass, so that the pass may be inner-joined.
    static func needsEvents(_ filter: TypedExpr, didInPass: Bool = false) -> Bool {
        switch filter.kind {
        case .binary(.and, let left, let right):
            return needsEvents(left, didInPass: didInPass) || needsEvents(right, didInPass: didInPass)
        case .inSegment(_, let predicate):
            return needsEvents(predicate, didInPass: didInPass)
        case .binary(.greater, let counted, let zero) where isDid(counted, zero) && !didInPass:
            return false  // a semi-join of its own (`topLevelFilter`), not a column of the pass
        case .binary(let op, let left, let right) where op.isComparison:
            return comparisonFailsWithoutEvents(op, left, right) { side in
                guard case .eventAggregate(let aggregate) = side.kind else { return nil }
                return aggregate.function == .count || aggregate.function == .sum ? .zero : .null
            }
        default:
            return false
        }
    }

    /// What an event aggregate or a value field is for a profile without events.
    enum WithoutEvents { case zero, null }

    /// Whether `left op right` fails (false or null) without events, given what `emptyValue`
    /// says each side is then (nil: not known, not an aggregate).
    static func comparisonFailsWithoutEvents(_ op: BinaryOperator, _ left: TypedExpr, _ right: TypedExpr,
                                             _ emptyValue: (TypedExpr) -> WithoutEvents?) -> Bool {
        for (side, other, flipped) in [(left, right, false), (right, left, true)] {
            switch emptyValue(side) {
            case nil: continue
            case .null: return true  // the comparison is null
            case .zero:
                // Does `0 op value` fail?
                guard case .number(let text) = other.kind, let value = Decimal(string: text) else { continue }
                let holds: Bool
                switch flipped ? op.mirrored : op {
                case .equal: holds = 0 == value
                case .notEqual: holds = 0 != value
                case .less: holds = 0 < value
                case .lessOrEqual: holds = 0 <= value
                case .greater: holds = 0 > value
                default: holds = 0 >= value
                }
                if !holds { return true }
            }
        }
        return false
    }

    /// A value field without events: sums and counts of no events are 0, the order times (and
    /// so recency) null; tier and rfm rank every profile.
    static func valueWithoutEvents(_ expr: TypedExpr) -> WithoutEvents? {
        guard case .value(let field, _) = expr.kind else { return nil }
        switch field {
        case .revenue, .cost, .orders, .frequency, .monetary, .clv: return .zero
        case .firstOrder, .lastOrder, .recency: return .null
        case .tier, .rfm: return nil
        }
    }

    func orderTerm(_ sql: SQLText, type: FieldType) -> SQLText {
        type == .text ? "\(sql) COLLATE \"C\"" : sql
    }

    /// A final column as text.
    func output(_ sql: SQLText, type: FieldType) -> SQLText {
        switch type {
        case .text: return sql
        case .number, .boolean: return "(\(sql))::text"
        case .timestamp: return "extract(epoch FROM (\(sql)))::text"
        case .duration: return "extract(epoch FROM (\(sql)))::text"
        case .null: return "NULL::text"
        }
    }
}

/// An aggregate over `e` written two ways: with the FILTER that picks its events, and plain,
/// for a pass whose WHERE already reads only those (the same when its FILTER says more).
struct AggregateSQL: Equatable {
    var filtered: String
    var plain: String

    init(filtered: String, plain: String) {
        self.filtered = filtered
        self.plain = plain
    }

    init(sameEitherWay sql: String) { self.init(filtered: sql, plain: sql) }
}

/// Which events an aggregate reads: a condition on `e`, as its conjuncts (the events' name
/// or type first, then a window, then a property filter).
struct EventFilter: Equatable {
    var conjuncts: [String]

    var sql: String { conjuncts.joined(separator: " AND ") }

    /// Whether `other` is this filter with more conjuncts after it (`A AND window` of `A`),
    /// so reads only events this one reads.
    func narrowed(to other: EventFilter) -> Bool {
        other.conjuncts.count > conjuncts.count && other.conjuncts.starts(with: conjuncts)
    }
}

/// One aggregate of a level's events pass.
struct PassAggregate {
    /// Over the raw events (`e`); written in place over the summaries, the summary form itself.
    var sql: AggregateSQL
    /// The pass's column (`a1` …).
    var column: String
    /// The same aggregate over `event_summaries`, where the summaries answer it exactly (nil:
    /// only the events do).
    var summary: AggregateSQL?
    /// The column of `profile_summaries v` that holds it (nil: no column does).
    var perProfile: String?
    /// Which events it reads (nil: every event), for the pass's pre-filter.
    var condition: EventFilter?
    /// Whether those are events of some names or types (not all events, within a window or not).
    var namesEvents: Bool
}
