import Foundation

// ValueOracle: the answers to funnel, customer-value and report questions, computed the plain
// way (loops over profiles and their events) from Grammar/README.md ("Funnels", "Customer
// value", "Reports"), written without reading the compiler. Foundation only, no database:
// ValueAnswerTests loads a seeded tenant's live profiles, identities and events into
// `OracleData` and compares Rapport's rows with these.
//
// Where the specification leaves a choice open, this oracle decides as follows:
//
// Funnels
//  1. Same-event steps ("when a step could match the same event as an earlier step") is read
//     statically: two steps overlap when their event selectors can name the same event (same
//     track name, both `page`, both `screen`, or either is `any`), whatever their `where`.
//     A step's match must then come after (in event order) the match of every earlier
//     overlapping required step. (The seed and FunnelAttemptTests' funnels avoid the one case
//     where a dynamic reading, "the later step's filter accepts the earlier match", would differ.)
//  2. An optional step's match is the first event in event order that qualifies (ts >= the
//     previous required match, windows incl. its own `within` from the previous required
//     match, ts < x, ts <= the next required match's ts when that step is reached, and the
//     overlap rule of 1 against earlier required steps). "No later than" compares `ts` only,
//     so a coupon at the order's instant counts whatever the message ids.
//  3. An optional step is never reached when the previous required step is not; an optional
//     step after the last required step has no upper bound.
//  4. order strict: an optional step is tried on the event right after the previous match
//     (the optional's own match, when it had one, becomes the "previous match" for strictness;
//     windows still count from the previous *required* match). After a required step fails
//     no later step (optional or not) is reached.
//  5. order any: every event in the range matching any step (an optional one included) is an
//     entry (23); in an attempt, each step's match is its first matching event in event order
//     with ts >= the attempt's entry ts (the text's `ts >=`: an event at the entry's instant
//     that comes before it in event order counts; this differs from "at or after the entry in
//     event order" only for an attempt entered at the instant of an earlier one, which then
//     matches exactly as that one does and so never is the best), within the whole window,
//     before x (the entry event itself included: order any has no exemption for the entry).
//     The reach time of step k is the latest of its match and the matches of the required
//     steps before it; `median_time`/`p90_time` are over reach_k - reach_prev where prev is the
//     previous required step. Step 1 counts profiles whose best attempt's step 1 has a match.
//  6. `attribute last` takes the highest-numbered step the best attempt reached (optional steps
//     included) and reads its match. `attribute step N` reads step N's match in the best attempt
//     when step N is reached there (for order any: reached as defined in 5), else null.
//     Breakdown groups are formed from the entered profiles; a group whose step 1 count is 0 has
//     no rows. Groups are ordered by value (text by code point, numbers by value), null last.
//  7. `from_first` of step 1 is 1 (profiles ÷ themselves), null when no profile entered.
//     `from_previous` of an optional step divides by the previous *required* step.
//  8. Without a breakdown, a funnel always gives one row per step (zeros when nobody entered).
//  9. `funnel NAME dropped at N`: entered profiles (entries at any time, as 23) whose best
//     attempt's highest reached step (optional steps included) is N.
//
// Customer value
// 10. A revenue event whose name is listed with several properties: the value is the sum of
//     those that are numbers (repeated pairs counted once). A revenue event with value 0 is
//     neither an order nor a refund but is part of `revenue` (adds 0) and of clv.
// 11. clv with a discount: Σ value·f over revenue events − Σ value·f over cost events in
//     double precision, then rounded half away from zero to 2 decimals; the tier ranking uses
//     the rounded clv. Future events are discounted by |now − ts| like past ones.
// 12. Future-dated events count everywhere (revenue, orders, last_order, recency may be
//     negative, did any, …): no "ts <= now" is applied except where a window says so.
// 13. `stage` rules: null predicates are false; an override closure replaces one rule.
//
// Reports
// 14. show tiers: `share` = profiles ÷ live profiles (null when there are none); `value` of an
//     empty tier is 0; `value_share` null when Σ clv of all is 0.
// 15. show pareto: `top` is the fraction (20% → 0.2); k = ⌈P·N⌉; `share` null when total is 0.
// 16. show lifecycle by F: rows per F value among the profiles that have a stage (values with
//     no staged profile give no rows), ordered by value, null last; five stage rows per value,
//     zeros included. Columns: F, stage, profiles, reached, conversion.
// 17. show retention: cohorts are only periods holding at least one customer's first order;
//     a cohort after the period holding now has no rows; `active` counts customers with an
//     order in [period start, next period start), future orders in the current period
//     included; rows ordered by cohort then period.
// 18. show value chain:
//     - portfolio: profiles, customers, clv_total (0 without profiles), clv_mean (null without
//       profiles), top20_share (null when total is 0), then for each tier platinum … lead (all
//       five, empty ones included) the two rows tier_profiles, tier_value (interleaved per tier).
//     - intimacy: three rows, each an average over live profiles (null without profiles):
//       identities rows per profile, top-level trait keys per profile, distinct non-null
//       event sources per profile.
//     - network: per key (code point order, null last) the three rows profiles, customers,
//       value. A first event (event order) without a source counts as the null key, like a
//       profile without events.
//     - value proposition: per campaign key (code point order) the rows profiles, events,
//       orders, revenue; an event's key is props.campaign when it is text, else
//       context.campaign.name when that is text; revenue is 0 when no revenue event carries it.
//     - lifecycle: per stage reach … inspire the rows profiles, conversion (as show lifecycle).
//     Rows without a key have `key` null.
//
// General
// 19. Every stored message is an event (identify, group, alias too): they count for `did any`,
//     for `order strict` adjacency, as a profile's first event (network), and for `any` steps.
// 20. Step 1 of a funnel is never optional (the oracle assumes it).
// 21. `show funnel NAME by F` replaces the funnel's breakdown; the oracle takes the attribution
//     from the breakdown it is given (the tests only override with profile fields, where the
//     attribution does not matter).
// 22. Ratios are exact decimals here; PostgreSQL cuts them at some scale, so the tests compare
//     numbers within 1e-9 (0.01 where clv is discounted).
//
// Funnel attempts (`entry every`, the default, and `entry first`)
// 23. Entries. Sequential and strict: the events matching step 1 (its `where` included) whose ts
//     is in the date range; order any: the events in the range matching any step. `entry first`
//     keeps the first of those in event order: the range applies before "first", so under
//     `since`/`between` a profile whose first step-1 event lies before the range enters with
//     its first one inside it. `dropped at N` has no range: there `entry first` is the
//     profile's first step-1 event ever.
// 24. Each attempt is matched by 1-5 with its own entry as "the entry": its windows count from
//     its entry's ts and its x is the first excluded event with ts >= its entry's ts. So an
//     excluded event before an attempt's entry does nothing to it (even when it stopped an
//     earlier attempt), and one at its entry's instant, whatever the message ids, stops it
//     after step 1 (sequential, strict) or before every step (order any, 5). Attempts share
//     events: one event can be an attempt's entry and another attempt's later step
//     (`Product Viewed -> Product Viewed`); the same-event rule of 1 holds within an attempt.
// 25. The best attempt is the one whose highest reached step (optional steps included) has the
//     highest number, an attempt reaching no step (only possible in order any) ranking below
//     all others; of equals, the one whose entry comes first in event order. It is chosen once
//     per profile, whatever the breakdown. The steps reached, the times, the attributed match
//     and `dropped at` all come from that one attempt: nothing is combined across attempts, and
//     a later attempt that reaches the same steps faster does not lend its times.
//     "Highest-numbered" is taken literally: reaching steps 1, 2, 4 beats reaching 1, 2, 3
//     (step 3 optional), and reaching an optional last step beats stopping before it.
// 26. A profile entered only by attempts that reach no step (order any) counts in no row; in a
//     breakdown it joins the group of its value (for an event field: null, having no match) and
//     gives that group no rows of its own (6).
// 27. The oracle computes every attempt even where the text says the first attempt is always a
//     best one (no windows, no exclusions, not strict); FunnelAttemptTests checks that claim on
//     the oracle rather than assuming it.

// MARK: - JSON

/// A JSON value with exact numbers (jsonb's text parsed without going through Double).
enum OracleJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Decimal)
    case string(String)
    case array([OracleJSON])
    case object([String: OracleJSON])

    var number: Decimal? { if case .number(let n) = self { return n } else { return nil } }
    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var object: [String: OracleJSON]? { if case .object(let o) = self { return o } else { return nil } }
    subscript(key: String) -> OracleJSON? { object?[key] }

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ text: String) throws -> OracleJSON {
        var parser = Parser(bytes: Array(text.utf8))
        parser.skipSpace()
        let value = try parser.value()
        parser.skipSpace()
        guard parser.i == parser.bytes.count else { throw ParseError(description: "trailing characters in JSON") }
        return value
    }

    /// `{…}` as a dictionary (an empty one for anything else).
    static func parseObject(_ text: String?) throws -> [String: OracleJSON] {
        guard let text else { return [:] }
        return try parse(text).object ?? [:]
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0

        mutating func skipSpace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }

        mutating func expect(_ literal: String) throws {
            for b in literal.utf8 {
                guard i < bytes.count, bytes[i] == b else { throw ParseError(description: "expected \(literal)") }
                i += 1
            }
        }

        mutating func value() throws -> OracleJSON {
            skipSpace()
            guard i < bytes.count else { throw ParseError(description: "unexpected end of JSON") }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                var object: [String: OracleJSON] = [:]
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(object) }
                while true {
                    skipSpace()
                    let key = try string()
                    skipSpace()
                    try expect(":")
                    object[key] = try value()
                    skipSpace()
                    guard i < bytes.count else { throw ParseError(description: "unterminated object") }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    try expect("}")
                    return .object(object)
                }
            case UInt8(ascii: "["):
                i += 1
                var array: [OracleJSON] = []
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(array) }
                while true {
                    array.append(try value())
                    skipSpace()
                    guard i < bytes.count else { throw ParseError(description: "unterminated array") }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    try expect("]")
                    return .array(array)
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"):
                try expect("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expect("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try expect("null")
                return .null
            default:
                let start = i
                while i < bytes.count, "+-0123456789.eE".utf8.contains(bytes[i]) { i += 1 }
                let text = String(decoding: bytes[start..<i], as: UTF8.self)
                guard !text.isEmpty, let number = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
                    throw ParseError(description: "bad JSON number `\(text)`")
                }
                return .number(number)
            }
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16) else {
                throw ParseError(description: "bad \\u escape")
            }
            i += 4
            return v
        }

        mutating func string() throws -> String {
            try expect("\"")
            var out: [UInt8] = []
            while true {
                guard i < bytes.count else { throw ParseError(description: "unterminated string") }
                let b = bytes[i]
                i += 1
                if b == UInt8(ascii: "\"") { break }
                if b != UInt8(ascii: "\\") { out.append(b); continue }
                guard i < bytes.count else { throw ParseError(description: "unterminated escape") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                        i += 2
                        let low = try hex4()
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    out.append(contentsOf: Array(String(Character(Unicode.Scalar(code) ?? "\u{FFFD}")).utf8))
                default: throw ParseError(description: "bad escape")
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}

// MARK: - Input

/// One stored event (of a live profile).
struct OracleEvent: Sendable {
    /// Its position in the loaded data (no meaning beyond that).
    var id: Int
    var profileID: Int64
    /// track, page, screen, identify, group, alias.
    var type: String
    var name: String?
    /// Microseconds since 1970, UTC.
    var tsMicros: Int64
    var messageID: String
    var source: String?
    var props: [String: OracleJSON]
    var context: [String: OracleJSON]

    var ts: Date { Date(timeIntervalSince1970: Double(tsMicros) / 1_000_000) }
}

struct OracleIdentity: Sendable {
    var kind: String
    var value: String
    /// Microseconds since 1970.
    var lastSeen: Int64
}

/// A live profile.
struct OracleProfile: Sendable {
    var id: Int64
    var traits: [String: OracleJSON]
    var identities: [OracleIdentity]
}

/// The tenant's value settings (`set value …`).
struct OracleSettings: Sendable {
    var revenue: [(event: String, property: String)]
    var cost: [(event: String, property: String)]
    /// The yearly rate: 12.5% is 0.125.
    var discount: Decimal
    /// The shares of platinum, gold, silver, bronze: 10% is 0.1.
    var tiers: [Decimal]

    static let defaults = OracleSettings(
        revenue: [("Order Completed", "revenue"), ("purchase", "amount")], cost: [], discount: 0, tiers: [0.1, 0.16, 0.35, 0.2])
}

/// What the oracle reads: the live profiles (any order), the events of live profiles, and now.
struct OracleData: Sendable {
    var profiles: [OracleProfile]
    var events: [OracleEvent]
    /// Microseconds since 1970.
    var now: Int64
}

// MARK: - Output

/// One cell of an expected row.
enum OracleValue: Sendable, Equatable, CustomStringConvertible {
    case text(String)
    case number(Decimal)
    case boolean(Bool)
    /// Microseconds since 1970.
    case timestamp(Int64)
    /// Seconds.
    case duration(Decimal)
    case null

    static func int(_ n: Int) -> OracleValue { .number(Decimal(n)) }
    static func optionalText(_ s: String?) -> OracleValue { s.map(OracleValue.text) ?? .null }
    static func optionalNumber(_ d: Decimal?) -> OracleValue { d.map(OracleValue.number) ?? .null }

    var description: String {
        switch self {
        case .text(let s): return "\"\(s)\""
        case .number(let d): return "\(d)"
        case .boolean(let b): return b ? "true" : "false"
        case .timestamp(let t): return OracleTime.iso(t)
        case .duration(let d): return "\(d)s"
        case .null: return "null"
        }
    }

    var isNull: Bool { self == .null }

    /// The order of `order by` / group keys: nulls last, text by code point.
    static func ascending(_ a: OracleValue, _ b: OracleValue) -> Bool {
        switch (a, b) {
        case (.null, _): return false
        case (_, .null): return true
        case (.text(let x), .text(let y)): return Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
        case (.number(let x), .number(let y)), (.duration(let x), .duration(let y)): return x < y
        case (.timestamp(let x), .timestamp(let y)): return x < y
        case (.boolean(let x), .boolean(let y)): return !x && y
        default: return a.description < b.description
        }
    }
}

// MARK: - Time

enum OracleTime {
    static let second: Int64 = 1_000_000
    static let minute: Int64 = 60 * second
    static let hour: Int64 = 60 * minute
    static let day: Int64 = 24 * hour
    static let week: Int64 = 7 * day

    /// Days since 1970-01-01 of a civil date (proleptic Gregorian).
    static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(days z0: Int64) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }

    /// Midnight UTC of a date, in microseconds.
    static func date(_ year: Int, _ month: Int, _ day: Int) -> Int64 { days(year: year, month: month, day: day) * Self.day }

    static func at(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Int64 {
        date(year, month, day) + Int64(hour) * Self.hour + Int64(minute) * Self.minute + Int64(second) * Self.second
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : (a - b + 1) / b }

    static func iso(_ micros: Int64) -> String {
        let d = floorDiv(micros, day)
        let rest = micros - d * day
        let (y, m, dd) = civil(days: d)
        let s = rest / second
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", y, m, dd, Int(s / 3600), Int(s / 60 % 60), Int(s % 60), Int(rest % second))
    }

    /// Microseconds as seconds.
    static func seconds(_ micros: Int64) -> Decimal { Decimal(micros) / Decimal(1_000_000) }
}

// MARK: - Funnels

/// A funnel step: `[optional] EVENT [where …] [within D]`.
struct OracleFunnelStep: Sendable {
    /// `any`, `page`, `screen` or a track event name, as written (the report's `event`).
    var event: String
    /// The `where` over the event's own properties (null counts as false).
    var filter: (@Sendable ([String: OracleJSON]) -> Bool)?
    var optional: Bool
    /// The step's own window from the previous required step's match, in microseconds.
    var within: Int64?

    init(_ event: String, optional: Bool = false, within: Int64? = nil, where filter: (@Sendable ([String: OracleJSON]) -> Bool)? = nil) {
        self.event = event
        self.optional = optional
        self.within = within
        self.filter = filter
    }
}

enum OracleFunnelOrder: Sendable { case sequential, strict, any }
/// `entry every` (the default): every qualifying event starts an attempt; `entry first`: only the first.
enum OracleEntry: Sendable { case every, first }
enum OracleAttribution: Sendable { case first, last, step(Int) }

/// What a profile is broken down by: a closure over the profile (with its value fields) and the
/// attributed step's match (nil when there is none).
struct OracleBreakdown: Sendable {
    var value: @Sendable (OracleProfileFacts, OracleEvent?) -> OracleValue
    var attribution: OracleAttribution

    init(attribution: OracleAttribution = .first, _ value: @escaping @Sendable (OracleProfileFacts, OracleEvent?) -> OracleValue) {
        self.value = value
        self.attribution = attribution
    }

    /// A profile field read now.
    static func profile(_ read: @escaping @Sendable (OracleProfileFacts) -> OracleValue) -> OracleBreakdown {
        OracleBreakdown { facts, _ in read(facts) }
    }

    /// An event field read from the attributed match.
    static func event(_ attribution: OracleAttribution = .first, _ read: @escaping @Sendable (OracleEvent) -> OracleValue) -> OracleBreakdown {
        OracleBreakdown(attribution: attribution) { _, event in event.map(read) ?? .null }
    }
}

struct OracleFunnel: Sendable {
    var steps: [OracleFunnelStep]
    /// The whole window from the entry, in microseconds.
    var within: Int64?
    var excludes: [OracleFunnelStep]
    var order: OracleFunnelOrder
    var breakdown: OracleBreakdown?
    var entry: OracleEntry

    init(_ steps: [OracleFunnelStep], within: Int64? = nil, excludes: [OracleFunnelStep] = [], order: OracleFunnelOrder = .sequential,
         breakdown: OracleBreakdown? = nil, entry: OracleEntry = .every) {
        self.steps = steps
        self.within = within
        self.excludes = excludes
        self.order = order
        self.breakdown = breakdown
        self.entry = entry
    }
}

/// The entry's date range: `lower <= ts < upperExclusive`.
struct OracleRange: Sendable {
    var lower: Int64?
    var upperExclusive: Int64?

    static let always = OracleRange(lower: nil, upperExclusive: nil)
    static func since(_ t: Int64) -> OracleRange { OracleRange(lower: t, upperExclusive: nil) }
    /// `between T1 and T2` with a date as T2: the whole day.
    static func between(_ t1: Int64, date t2: Int64) -> OracleRange { OracleRange(lower: t1, upperExclusive: t2 + OracleTime.day) }
    /// `between T1 and T2` with a timestamp as T2: `ts <= T2`.
    static func between(_ t1: Int64, timestamp t2: Int64) -> OracleRange { OracleRange(lower: t1, upperExclusive: t2 + 1) }

    func contains(_ ts: Int64) -> Bool { (lower.map { ts >= $0 } ?? true) && (upperExclusive.map { ts < $0 } ?? true) }
}

/// One attempt's way through a funnel (for a profile: its best attempt).
struct OracleFunnelPath: Sendable {
    var profileID: Int64
    /// The attempt's entry (index into the profile's ordered events).
    var entry: Int
    /// Per step: the matched event (index into the profile's ordered events).
    var match: [Int?]
    var reached: [Bool]
    /// Per step: seconds from the previous required step (reach times for order any); nil for step 1.
    var time: [Decimal?]
    var events: [OracleEvent]

    var lastReached: Int? { reached.lastIndex(of: true) }
}

// MARK: - Value fields

struct OracleProfileValues: Sendable {
    var revenue: Decimal = 0
    var cost: Decimal = 0
    var orders = 0
    var firstOrder: Int64?
    var lastOrder: Int64?
    var clv: Decimal = 0
    var tier = "lead"
    /// Seconds.
    var recency: Decimal?
    var rfm: String?
    var stage: String?
    /// 0 reach … 4 inspire.
    var stageRank: Int?
}

/// A profile with its events (in event order) and value fields: what stage rules and
/// breakdowns read.
struct OracleProfileFacts: Sendable {
    var profile: OracleProfile
    var events: [OracleEvent]
    var values: OracleProfileValues
    var now: Int64

    func trait(_ name: String) -> OracleValue {
        switch profile.traits[name] {
        case .string(let s)?: return .text(s)
        default: return .null
        }
    }

    func did(_ event: String, where filter: ([String: OracleJSON]) -> Bool = { _ in true }) -> Bool {
        events.contains { ValueOracle.selects(event, $0) && filter($0.props) }
    }
}

/// The five lifecycle rules, each replaceable (`lifecycle stage NAME = PRED`).
struct OracleStageRules: Sendable {
    static let names = ["reach", "acquisition", "development", "retention", "inspire"]
    var rules: [String: @Sendable (OracleProfileFacts) -> Bool]

    static let defaults = OracleStageRules(rules: [
        "reach": { !$0.events.isEmpty },
        "acquisition": { $0.values.orders >= 1 },
        "development": { $0.values.orders >= 2 },
        "retention": { facts in
            guard let last = facts.values.lastOrder, let first = facts.values.firstOrder else { return false }
            return last >= facts.now - 90 * OracleTime.day && first < facts.now - 180 * OracleTime.day
        },
        "inspire": { facts in
            facts.did("referral") || facts.did("nps", where: { ($0["score"]?.number).map { $0 >= 9 } ?? false })
        },
    ])

    func overriding(_ name: String, _ rule: @escaping @Sendable (OracleProfileFacts) -> Bool) -> OracleStageRules {
        var copy = self
        copy.rules[name] = rule
        return copy
    }
}

// MARK: - The oracle

enum ValueOracle {
    static let tierNames = ["platinum", "gold", "silver", "bronze", "lead"]

    /// Whether `selector` (`any`, `page`, `screen`, a track name) names `event`.
    static func selects(_ selector: String, _ event: OracleEvent) -> Bool {
        switch selector {
        case "any": return true
        case "page", "screen": return event.type == selector
        default: return event.type == "track" && event.name == selector
        }
    }

    static func matches(_ step: OracleFunnelStep, _ event: OracleEvent) -> Bool {
        selects(step.event, event) && (step.filter?(event.props) ?? true)
    }

    /// Whether two steps can name the same event (see ambiguity 1).
    static func overlap(_ a: OracleFunnelStep, _ b: OracleFunnelStep) -> Bool {
        a.event == "any" || b.event == "any" || a.event == b.event
    }

    /// Event order: ts, then message id by code point.
    static func precedes(_ a: OracleEvent, _ b: OracleEvent) -> Bool {
        if a.tsMicros != b.tsMicros { return a.tsMicros < b.tsMicros }
        return Array(a.messageID.utf8).lexicographicallyPrecedes(Array(b.messageID.utf8))
    }

    static func ratio(_ a: Decimal, _ b: Decimal) -> Decimal? { b == 0 ? nil : a / b }
    static func ratio(_ a: Int, _ b: Int) -> Decimal? { ratio(Decimal(a), Decimal(b)) }

    /// PostgreSQL's percentile_cont: linear interpolation between the closest ranks.
    static func percentile(_ p: Decimal, _ values: [Decimal]) -> Decimal? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let position = p * Decimal(sorted.count - 1)
        var floorPosition = Decimal()
        var copy = position
        NSDecimalRound(&floorPosition, &copy, 0, .down)
        let lo = NSDecimalNumber(decimal: floorPosition).intValue
        let hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (position - floorPosition)
    }

    static func ceil(_ d: Decimal) -> Decimal {
        var result = Decimal()
        var copy = d
        NSDecimalRound(&result, &copy, 0, .up)
        return result
    }

    static func double(_ d: Decimal) -> Double { NSDecimalNumber(decimal: d).doubleValue }

    /// The value of a revenue or cost event under `pairs`: the sum of its listed properties that
    /// are numbers, nil when none is (or the event is not a listed track event).
    static func value(of event: OracleEvent, _ pairs: [(event: String, property: String)]) -> Decimal? {
        guard event.type == "track", let name = event.name else { return nil }
        var seen = Set<String>()
        var sum: Decimal?
        for pair in pairs where pair.event == name && seen.insert(pair.property).inserted {
            if let n = event.props[pair.property]?.number { sum = (sum ?? 0) + n }
        }
        return sum
    }

    /// Everything the questions need, computed once for the data, settings and stage rules.
    static func model(_ data: OracleData, settings: OracleSettings = .defaults, stages: OracleStageRules = .defaults) -> OracleModel {
        OracleModel(data: data, settings: settings, stages: stages)
    }
}

struct OracleModel: Sendable {
    let data: OracleData
    let settings: OracleSettings
    /// Live profiles by id ascending.
    let profiles: [OracleProfile]
    /// Per profile: its events in event order.
    let eventsOf: [Int64: [OracleEvent]]
    let values: [Int64: OracleProfileValues]
    /// Profile ids ranked by clv descending, ties by id.
    let ranking: [Int64]

    var now: Int64 { data.now }
    var count: Int { profiles.count }

    init(data: OracleData, settings: OracleSettings, stages: OracleStageRules) {
        self.data = data
        self.settings = settings
        let profiles = data.profiles.sorted { $0.id < $1.id }
        self.profiles = profiles
        var eventsOf: [Int64: [OracleEvent]] = [:]
        for profile in profiles { eventsOf[profile.id] = [] }
        for event in data.events where eventsOf[event.profileID] != nil { eventsOf[event.profileID]!.append(event) }
        for id in eventsOf.keys { eventsOf[id]!.sort(by: ValueOracle.precedes) }
        self.eventsOf = eventsOf

        // Revenue, cost, orders, clv.
        let now = data.now
        let yearMicros = 365.25 * 86_400 * 1_000_000
        let rate = 1 + ValueOracle.double(settings.discount)
        var values: [Int64: OracleProfileValues] = [:]
        for profile in profiles {
            var v = OracleProfileValues()
            var discounted = 0.0
            for event in eventsOf[profile.id]! {
                let factor = pow(rate, -(Double(abs(now - event.tsMicros)) / yearMicros))
                if let value = ValueOracle.value(of: event, settings.revenue) {
                    v.revenue += value
                    discounted += ValueOracle.double(value) * factor
                    if value > 0 {
                        v.orders += 1
                        v.firstOrder = min(v.firstOrder ?? .max, event.tsMicros)
                        v.lastOrder = max(v.lastOrder ?? .min, event.tsMicros)
                    }
                }
                if let value = ValueOracle.value(of: event, settings.cost) {
                    v.cost += value
                    discounted -= ValueOracle.double(value) * factor
                }
            }
            if settings.discount == 0 {
                v.clv = v.revenue - v.cost
            } else {
                let cents = Int64((discounted * 100).rounded(.toNearestOrAwayFromZero))
                v.clv = Decimal(cents) / 100
            }
            v.recency = v.lastOrder.map { OracleTime.seconds(now - $0) }
            values[profile.id] = v
        }

        // Tiers.
        let ranking = profiles.map(\.id).sorted { a, b in
            let (x, y) = (values[a]!.clv, values[b]!.clv)
            return x != y ? x > y : a < b
        }
        self.ranking = ranking
        let n = Decimal(profiles.count)
        var cumulative: [Decimal] = []
        var sum: Decimal = 0
        for share in settings.tiers { sum += share; cumulative.append(sum * n) }
        for (index, id) in ranking.enumerated() {
            let r1 = Decimal(index)
            values[id]!.tier = cumulative.firstIndex { r1 < $0 }.map { ValueOracle.tierNames[$0] } ?? "lead"
        }

        // RFM among customers.
        let customers = profiles.map(\.id).filter { values[$0]!.orders >= 1 }
        let c = customers.count
        for id in customers {
            let v = values[id]!
            let sR = customers.filter { values[$0]!.lastOrder! < v.lastOrder! }.count
            let sF = customers.filter { values[$0]!.orders < v.orders }.count
            let sM = customers.filter { values[$0]!.revenue < v.revenue }.count
            func score(_ s: Int) -> Int { 1 + (5 * s) / c }
            values[id]!.rfm = "\(score(sR))\(score(sF))\(score(sM))"
        }

        // Stages.
        for profile in profiles {
            let facts = OracleProfileFacts(profile: profile, events: eventsOf[profile.id]!, values: values[profile.id]!, now: now)
            var best: Int?
            for (rank, name) in OracleStageRules.names.enumerated() where stages.rules[name]?(facts) == true { best = rank }
            values[profile.id]!.stageRank = best
            values[profile.id]!.stage = best.map { OracleStageRules.names[$0] }
        }
        self.values = values
    }

    func facts(_ id: Int64) -> OracleProfileFacts {
        OracleProfileFacts(profile: profiles.first { $0.id == id }!, events: eventsOf[id]!, values: values[id]!, now: now)
    }

    var allFacts: [OracleProfileFacts] { profiles.map { OracleProfileFacts(profile: $0, events: eventsOf[$0.id]!, values: values[$0.id]!, now: now) } }

    // MARK: Value fields

    /// `profiles | select id, revenue, cost, orders, first_order, last_order, clv, tier, recency,
    /// frequency, monetary, rfm, stage | order by id`.
    func valueFieldRows() -> [[OracleValue]] {
        profiles.map { profile in
            let v = values[profile.id]!
            return [
                .number(Decimal(profile.id)), .number(v.revenue), .number(v.cost), .int(v.orders),
                v.firstOrder.map(OracleValue.timestamp) ?? .null, v.lastOrder.map(OracleValue.timestamp) ?? .null,
                .number(v.clv), .text(v.tier), v.recency.map(OracleValue.duration) ?? .null, .int(v.orders),
                .number(v.revenue), .optionalText(v.rfm), .optionalText(v.stage),
            ]
        }
    }

    /// `profiles | group by KEY select n = count()`: key, count; ordered by key, null last.
    func groupCount(_ key: (OracleProfileFacts) -> OracleValue) -> [[OracleValue]] {
        var groups: [(OracleValue, Int)] = []
        for facts in allFacts {
            let k = key(facts)
            if let i = groups.firstIndex(where: { $0.0 == k }) { groups[i].1 += 1 } else { groups.append((k, 1)) }
        }
        return groups.sorted { OracleValue.ascending($0.0, $1.0) }.map { [$0.0, .int($0.1)] }
    }

    /// `count profiles where PRED`.
    func countWhere(_ predicate: (OracleProfileFacts) -> Bool) -> [[OracleValue]] {
        [[.int(allFacts.filter(predicate).count)]]
    }

    /// Ids of the live profiles passing `predicate`, ascending.
    func ids(where predicate: (OracleProfileFacts) -> Bool) -> [[OracleValue]] {
        allFacts.filter(predicate).map { [.number(Decimal($0.profile.id))] }
    }

    // MARK: Funnels

    /// The events of profile `id` that start an attempt at `funnel`, as indices into its ordered
    /// events, in event order: its step-1 events in `range` (order any: its events in `range`
    /// matching any step); with `entry first`, only the first of them.
    func entries(_ funnel: OracleFunnel, profile id: Int64, range: OracleRange) -> [Int] {
        let events = eventsOf[id] ?? []
        let steps = funnel.steps
        var entries: [Int] = []
        for i in events.indices where range.contains(events[i].tsMicros) {
            let starts: Bool
            switch funnel.order {
            case .sequential, .strict: starts = ValueOracle.matches(steps[0], events[i])
            case .any: starts = steps.contains { ValueOracle.matches($0, events[i]) }
            }
            if starts { entries.append(i) }
        }
        switch funnel.entry {
        case .every: return entries
        case .first: return Array(entries.prefix(1))
        }
    }

    /// Every attempt of profile `id` at `funnel`, in the event order of their entries.
    func attempts(_ funnel: OracleFunnel, profile id: Int64, range: OracleRange) -> [OracleFunnelPath] {
        entries(funnel, profile: id, range: range).map { attempt(funnel, profile: id, entry: $0) }
    }

    /// One profile's path through `funnel`: its best attempt, the one reaching the highest-numbered
    /// step, of those the one entered first (nil when it does not enter).
    func path(_ funnel: OracleFunnel, profile id: Int64, range: OracleRange) -> OracleFunnelPath? {
        var best: OracleFunnelPath?
        for attempt in attempts(funnel, profile: id, range: range) {
            guard let current = best else {
                best = attempt
                continue
            }
            if (attempt.lastReached ?? -1) > (current.lastReached ?? -1) { best = attempt }
        }
        return best
    }

    /// The attempt of profile `id` whose entry is its `entry`th event, matched on its own.
    func attempt(_ funnel: OracleFunnel, profile id: Int64, entry: Int) -> OracleFunnelPath {
        let events = eventsOf[id] ?? []
        let steps = funnel.steps
        let n = steps.count
        var match = [Int?](repeating: nil, count: n)
        var reached = [Bool](repeating: false, count: n)
        var time = [Decimal?](repeating: nil, count: n)
        let required = steps.indices.filter { !steps[$0].optional }
        func previousRequired(_ k: Int) -> Int { required.last { $0 < k }! }
        func nextRequired(_ k: Int) -> Int? { required.first { $0 > k } }

        let t0 = events[entry].tsMicros
        let x: Int64? = events.filter { e in e.tsMicros >= t0 && funnel.excludes.contains { ValueOracle.matches($0, e) } }.map(\.tsMicros).min()
        func fitsWhole(_ ts: Int64) -> Bool { (funnel.within.map { ts <= t0 + $0 } ?? true) && (x.map { ts < $0 } ?? true) }

        switch funnel.order {
        case .sequential:
            match[0] = entry
            reached[0] = true
            var previous = entry
            for k in required.dropFirst() {
                let prevTs = events[previous].tsMicros
                let candidate = events.indices.first { i in
                    let e = events[i]
                    return ValueOracle.matches(steps[k], e) && e.tsMicros >= prevTs && fitsWhole(e.tsMicros)
                        && (steps[k].within.map { e.tsMicros <= prevTs + $0 } ?? true)
                        && required.filter { $0 < k }.allSatisfy { j in !ValueOracle.overlap(steps[j], steps[k]) || i > match[j]! }
                }
                guard let c = candidate else { break }
                match[k] = c
                reached[k] = true
                previous = c
            }
            for k in steps.indices where steps[k].optional {
                let p = previousRequired(k)
                guard let pm = match[p] else { continue }
                let prevTs = events[pm].tsMicros
                let upper = nextRequired(k).flatMap { match[$0] }.map { events[$0].tsMicros }
                let candidate = events.indices.first { i in
                    let e = events[i]
                    return ValueOracle.matches(steps[k], e) && e.tsMicros >= prevTs && fitsWhole(e.tsMicros)
                        && (steps[k].within.map { e.tsMicros <= prevTs + $0 } ?? true)
                        && (upper.map { e.tsMicros <= $0 } ?? true)
                        && required.filter { $0 < k }.allSatisfy { j in match[j] == nil || !ValueOracle.overlap(steps[j], steps[k]) || i > match[j]! }
                }
                if let c = candidate {
                    match[k] = c
                    reached[k] = true
                }
            }
            for k in steps.indices.dropFirst() where reached[k] {
                time[k] = OracleTime.seconds(events[match[k]!].tsMicros - events[match[previousRequired(k)]!].tsMicros)
            }

        case .strict:
            match[0] = entry
            reached[0] = true
            var current = entry
            var previousRequiredMatch = entry
            for k in steps.indices.dropFirst() {
                let i = current + 1
                let prevTs = events[previousRequiredMatch].tsMicros
                let ok = i < events.count && ValueOracle.matches(steps[k], events[i]) && events[i].tsMicros >= prevTs
                    && fitsWhole(events[i].tsMicros) && (steps[k].within.map { events[i].tsMicros <= prevTs + $0 } ?? true)
                if steps[k].optional {
                    if ok {
                        match[k] = i
                        reached[k] = true
                        current = i
                    }
                } else {
                    guard ok else { break }
                    match[k] = i
                    reached[k] = true
                    current = i
                    previousRequiredMatch = i
                }
            }
            for k in steps.indices.dropFirst() where reached[k] {
                time[k] = OracleTime.seconds(events[match[k]!].tsMicros - events[match[previousRequired(k)]!].tsMicros)
            }

        case .any:
            for k in steps.indices {
                match[k] = events.indices.first { i in
                    events[i].tsMicros >= t0 && ValueOracle.matches(steps[k], events[i]) && fitsWhole(events[i].tsMicros)
                }
            }
            var reachTime = [Int64?](repeating: nil, count: n)
            for k in steps.indices {
                let before = required.filter { $0 < k }
                guard match[k] != nil, before.allSatisfy({ match[$0] != nil }) else { continue }
                reached[k] = true
                reachTime[k] = ([k] + before).map { events[match[$0]!].tsMicros }.max()!
            }
            for k in steps.indices.dropFirst() where reached[k] {
                time[k] = OracleTime.seconds(reachTime[k]! - reachTime[previousRequired(k)]!)
            }
        }
        return OracleFunnelPath(profileID: id, entry: entry, match: match, reached: reached, time: time, events: events)
    }

    func paths(_ funnel: OracleFunnel, range: OracleRange = .always) -> [OracleFunnelPath] {
        profiles.compactMap { path(funnel, profile: $0.id, range: range) }
    }

    /// `show funnel` rows: [breakdown value,] step, event, optional, profiles, from_previous,
    /// from_first, median_time, p90_time. `breakdown` (the `by` of `show funnel`) overrides the
    /// funnel's own.
    func funnelReport(_ funnel: OracleFunnel, breakdown: OracleBreakdown? = nil, range: OracleRange = .always) -> [[OracleValue]] {
        let all = paths(funnel, range: range)
        guard let by = breakdown ?? funnel.breakdown else { return funnelRows(funnel, all) }
        var groups: [(OracleValue, [OracleFunnelPath])] = []
        for path in all {
            let event: OracleEvent?
            switch by.attribution {
            case .first: event = path.reached[0] ? path.match[0].map { path.events[$0] } : nil
            case .last: event = path.lastReached.flatMap { path.match[$0] }.map { path.events[$0] }
            case .step(let n): event = (n >= 1 && n <= path.reached.count && path.reached[n - 1]) ? path.match[n - 1].map { path.events[$0] } : nil
            }
            let key = by.value(facts(path.profileID), event)
            if let i = groups.firstIndex(where: { $0.0 == key }) { groups[i].1.append(path) } else { groups.append((key, [path])) }
        }
        return groups.sorted { OracleValue.ascending($0.0, $1.0) }
            .filter { group in group.1.contains { $0.reached[0] } }
            .flatMap { group in funnelRows(funnel, group.1).map { [group.0] + $0 } }
    }

    func funnelRows(_ funnel: OracleFunnel, _ paths: [OracleFunnelPath]) -> [[OracleValue]] {
        let steps = funnel.steps
        let counts = steps.indices.map { k in paths.filter { $0.reached[k] }.count }
        return steps.indices.map { k in
            let previous = steps.indices.last { $0 < k && !steps[$0].optional }
            let times = paths.filter { $0.reached[k] }.compactMap { $0.time[k] }
            return [
                .int(k + 1), .text(steps[k].event), .boolean(steps[k].optional), .int(counts[k]),
                k == 0 ? .null : .optionalNumber(previous.flatMap { ValueOracle.ratio(counts[k], counts[$0]) }),
                .optionalNumber(ValueOracle.ratio(counts[k], counts[0])),
                k == 0 ? .null : (ValueOracle.percentile(0.5, times).map(OracleValue.duration) ?? .null),
                k == 0 ? .null : (ValueOracle.percentile(0.9, times).map(OracleValue.duration) ?? .null),
            ]
        }
    }

    /// `funnel NAME dropped at N | select id`.
    func dropped(_ funnel: OracleFunnel, at n: Int) -> [[OracleValue]] {
        paths(funnel).filter { $0.lastReached == n - 1 }.map { [.number(Decimal($0.profileID))] }
    }

    // MARK: Reports

    var clvTotal: Decimal { profiles.reduce(0) { $0 + values[$1.id]!.clv } }

    /// `show tiers`: tier, profiles, share, value, value_share, min_clv, max_clv.
    func tiersReport() -> [[OracleValue]] {
        let total = clvTotal
        return ValueOracle.tierNames.map { tier in
            let clvs = ranking.filter { values[$0]!.tier == tier }.map { values[$0]!.clv }
            let value = clvs.reduce(0, +)
            return [
                .text(tier), .int(clvs.count), .optionalNumber(ValueOracle.ratio(clvs.count, count)), .number(value),
                .optionalNumber(ValueOracle.ratio(value, total)), .optionalNumber(clvs.min()), .optionalNumber(clvs.max()),
            ]
        }
    }

    func paretoFigures(top p: Decimal) -> (k: Int, value: Decimal, total: Decimal, share: Decimal?) {
        let k = NSDecimalNumber(decimal: ValueOracle.ceil(p * Decimal(count))).intValue
        let value = ranking.prefix(k).reduce(Decimal(0)) { $0 + values[$1]!.clv }
        let total = clvTotal
        return (k, value, total, ValueOracle.ratio(value, total))
    }

    /// `show pareto [top P]`: top, profiles, value, total, share.
    func paretoReport(top p: Decimal = 0.2) -> [[OracleValue]] {
        let f = paretoFigures(top: p)
        return [[.number(p), .int(f.k), .number(f.value), .number(f.total), .optionalNumber(f.share)]]
    }

    /// Stage rows (stage, profiles, reached, conversion) over `ids`.
    func lifecycleRows(_ ids: [Int64]) -> [[OracleValue]] {
        let ranks = ids.compactMap { values[$0]!.stageRank }
        let profiles = (0..<5).map { r in ranks.filter { $0 == r }.count }
        let reached = (0..<5).map { r in ranks.filter { $0 >= r }.count }
        return (0..<5).map { r in
            [.text(OracleStageRules.names[r]), .int(profiles[r]), .int(reached[r]),
             r == 4 ? .null : .optionalNumber(ValueOracle.ratio(reached[r + 1], reached[r]))]
        }
    }

    /// `show lifecycle [by F]`: [F,] stage, profiles, reached, conversion.
    func lifecycleReport(by key: ((OracleProfileFacts) -> OracleValue)? = nil) -> [[OracleValue]] {
        guard let key else { return lifecycleRows(profiles.map(\.id)) }
        var groups: [(OracleValue, [Int64])] = []
        for facts in allFacts where facts.values.stageRank != nil {
            let k = key(facts)
            if let i = groups.firstIndex(where: { $0.0 == k }) { groups[i].1.append(facts.profile.id) } else { groups.append((k, [facts.profile.id])) }
        }
        return groups.sorted { OracleValue.ascending($0.0, $1.0) }.flatMap { group in lifecycleRows(group.1).map { [group.0] + $0 } }
    }

    enum Period: Sendable { case week, month }

    /// The start of the period holding `ts` and its index (weeks: Monday-based day number / 7;
    /// months: year·12 + month − 1).
    static func period(_ ts: Int64, _ period: Period) -> (start: Int64, index: Int64) {
        let day = OracleTime.floorDiv(ts, OracleTime.day)
        switch period {
        case .week:
            let monday = day - ((day + 3) % 7 + 7) % 7
            return (monday * OracleTime.day, OracleTime.floorDiv(monday + 3, 7))
        case .month:
            let (y, m, _) = OracleTime.civil(days: day)
            return (OracleTime.date(y, m, 1), Int64(y) * 12 + Int64(m - 1))
        }
    }

    static func periodStart(index: Int64, _ period: Period) -> Int64 {
        switch period {
        case .week: return (index * 7 - 3) * OracleTime.day
        case .month:
            let y = Int(OracleTime.floorDiv(index, 12))
            return OracleTime.date(y, Int(index - Int64(y) * 12) + 1, 1)
        }
    }

    /// Order times of a profile.
    func orderTimes(_ id: Int64) -> [Int64] {
        eventsOf[id]!.filter { (ValueOracle.value(of: $0, settings.revenue) ?? 0) > 0 }.map(\.tsMicros)
    }

    /// `show retention by week|month [since T]`: cohort, period, customers, active, retention.
    func retentionReport(_ period: Period, since: Int64? = nil) -> [[OracleValue]] {
        var cohorts: [Int64: [Int64]] = [:]
        for profile in profiles {
            guard let first = values[profile.id]!.firstOrder, since.map({ first >= $0 }) ?? true else { continue }
            cohorts[Self.period(first, period).index, default: []].append(profile.id)
        }
        let nowIndex = Self.period(now, period).index
        var rows: [[OracleValue]] = []
        for cohort in cohorts.keys.sorted() {
            let members = cohorts[cohort]!
            guard cohort <= nowIndex else { continue }
            for p in 0...(nowIndex - cohort) {
                let start = Self.periodStart(index: cohort + p, period)
                let end = Self.periodStart(index: cohort + p + 1, period)
                let active = members.filter { id in orderTimes(id).contains { $0 >= start && $0 < end } }.count
                rows.append([.timestamp(Self.periodStart(index: cohort, period)), .number(Decimal(p)), .int(members.count), .int(active),
                             .optionalNumber(ValueOracle.ratio(active, members.count))])
            }
        }
        return rows
    }

    /// An event's campaign: text props.campaign, else text context.campaign.name.
    static func campaign(_ event: OracleEvent) -> String? {
        event.props["campaign"]?.string ?? event.context["campaign"]?["name"]?.string
    }

    /// `show value chain`: stage, measure, key, value.
    func valueChainReport() -> [[OracleValue]] {
        var rows: [[OracleValue]] = []
        func row(_ stage: String, _ measure: String, _ key: String?, _ value: OracleValue) {
            rows.append([.text(stage), .text(measure), .optionalText(key), value])
        }
        let n = count
        let total = clvTotal
        let customers = profiles.filter { values[$0.id]!.orders >= 1 }.count
        row("portfolio", "profiles", nil, .int(n))
        row("portfolio", "customers", nil, .int(customers))
        row("portfolio", "clv_total", nil, .number(total))
        row("portfolio", "clv_mean", nil, .optionalNumber(ValueOracle.ratio(total, Decimal(n))))
        row("portfolio", "top20_share", nil, .optionalNumber(paretoFigures(top: 0.2).share))
        for tier in ValueOracle.tierNames {
            let ids = ranking.filter { values[$0]!.tier == tier }
            row("portfolio", "tier_profiles", tier, .int(ids.count))
            row("portfolio", "tier_value", tier, .number(ids.reduce(Decimal(0)) { $0 + values[$1]!.clv }))
        }

        let identifiers = profiles.reduce(0) { $0 + $1.identities.count }
        let traits = profiles.reduce(0) { $0 + $1.traits.count }
        let sources = profiles.reduce(0) { $0 + Set(eventsOf[$1.id]!.compactMap(\.source)).count }
        row("intimacy", "identifiers_per_profile", nil, .optionalNumber(ValueOracle.ratio(identifiers, n)))
        row("intimacy", "traits_per_profile", nil, .optionalNumber(ValueOracle.ratio(traits, n)))
        row("intimacy", "sources_per_profile", nil, .optionalNumber(ValueOracle.ratio(sources, n)))

        var network: [(OracleValue, [Int64])] = []
        for profile in profiles {
            let key = OracleValue.optionalText(eventsOf[profile.id]!.first?.source)
            if let i = network.firstIndex(where: { $0.0 == key }) { network[i].1.append(profile.id) } else { network.append((key, [profile.id])) }
        }
        for (key, ids) in network.sorted(by: { OracleValue.ascending($0.0, $1.0) }) {
            var text: String?
            if case .text(let s) = key { text = s }
            row("network", "profiles", text, .int(ids.count))
            row("network", "customers", text, .int(ids.filter { values[$0]!.orders >= 1 }.count))
            row("network", "value", text, .number(ids.reduce(Decimal(0)) { $0 + values[$1]!.clv }))
        }

        var campaigns: [String: [OracleEvent]] = [:]
        for profile in profiles {
            for event in eventsOf[profile.id]! {
                if let c = Self.campaign(event) { campaigns[c, default: []].append(event) }
            }
        }
        for key in campaigns.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let events = campaigns[key]!
            let revenueValues = events.compactMap { ValueOracle.value(of: $0, settings.revenue) }
            row("value proposition", "profiles", key, .int(Set(events.map(\.profileID)).count))
            row("value proposition", "events", key, .int(events.count))
            row("value proposition", "orders", key, .int(revenueValues.filter { $0 > 0 }.count))
            row("value proposition", "revenue", key, .number(revenueValues.reduce(0, +)))
        }

        for stageRow in lifecycleRows(profiles.map(\.id)) {
            guard case .text(let stage) = stageRow[0] else { continue }
            row("lifecycle", "profiles", stage, stageRow[1])
            row("lifecycle", "conversion", stage, stageRow[3])
        }
        return rows
    }
}
