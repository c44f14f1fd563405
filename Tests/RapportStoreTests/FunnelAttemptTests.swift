import Foundation
import RapportTestSupport
import Testing
@testable import RapportStore

/// Funnels count every attempt (Grammar/README.md, "Funnels"): on 300 generated histories with
/// several tries each (step-1 events days apart, events at one instant, refunds between tries),
/// Rapport's `show funnel` and `dropped at` rows must be ValueOracle's, with `entry every` and
/// with `entry first`, for every kind of funnel, including those where the two differ.
@Suite struct FunnelAttemptTests {
    static let seed: UInt64 = 20_250_301

    @Test func generatedHistoriesHaveLaterAttemptsThatConvert() {
        let histories = AttemptHistories.make(seed: Self.seed)
        #expect(histories.profiles.contains { profile in profile.events.filter { $0.name == "Product Viewed" }.count >= 3 })
        #expect(histories.profiles.contains { $0.events.isEmpty })
        // Attempts entered at one instant are kept as equal rows (no DISTINCT): some profile must
        // have two step-1 events at one instant and a refund after them, for the excluding funnels.
        #expect(histories.profiles.contains { profile in
            let views = profile.events.filter { $0.name == "Product Viewed" }
            return Dictionary(grouping: views, by: \.ts).contains { ts, same in
                same.count >= 2 && profile.events.contains { $0.name == "Refund" && $0.ts >= ts }
            }
        })
        Self.expectAttemptsMatter(ValueOracle.model(histories.oracleData))
    }

    /// Without windows, exclusions and `order strict` the first attempt is always a best one, so
    /// `entry first` changes no answer there (the text says so; this holds the oracle to it).
    @Test func entryFirstChangesNothingWithoutWindowsExclusionsOrStrict() {
        let model = ValueOracle.model(AttemptHistories.make(seed: Self.seed).oracleData)
        for funnel in [AttemptCases.plain, AttemptCases.optionalOnly, AttemptCases.anyOnly, AttemptCases.repeatViewsOnly] {
            #expect(model.funnelReport(funnel) == model.funnelReport(AttemptCases.entryFirst(funnel)))
            for n in 1..<funnel.steps.count {
                #expect(model.dropped(funnel, at: n) == model.dropped(AttemptCases.entryFirst(funnel), at: n))
            }
        }
    }

    @Test(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
    func funnelsOnGeneratedHistoriesGiveTheOraclesAnswers() async throws {
        try await withTestStore { store, _ in
            let histories = AttemptHistories.make(seed: Self.seed)
            let tenant = try await histories.seed(store)
            let data = try await ValueSeed.load(store, tenant)
            #expect(data.profiles.count == histories.profiles.count, "live profiles")
            #expect(data.events.count == histories.lines.count, "every message is an event")
            Self.expectAttemptsMatter(ValueOracle.model(data))
            await ValueAnswerTests.run(AttemptCases.all, store: store, tenant: tenant, data: data)
        }
    }

    /// Every attempt reaches each required step at least as often as the first attempt alone, and
    /// for the windowed funnel strictly more often at step 2: the histories can see the change.
    static func expectAttemptsMatter(_ model: OracleModel) {
        for (every, first) in AttemptCases.pairs {
            let a = model.paths(every), b = model.paths(first)
            #expect(a.count == b.count, "entered profiles")
            for k in every.steps.indices where !every.steps[k].optional {
                #expect(a.filter { $0.reached[k] }.count >= b.filter { $0.reached[k] }.count, "step \(k + 1)")
            }
        }
        let every = model.paths(AttemptCases.window).filter { $0.reached[1] }.count
        let first = model.paths(AttemptCases.entryFirst(AttemptCases.window)).filter { $0.reached[1] }.count
        #expect(every >= first)
        #expect(every > first, "every attempt \(every), entry first \(first) at step 2 of the windowed funnel")
    }
}

/// Short shopping histories, one profile per user id: `Product Viewed`, `Added to Cart`,
/// `Order Completed` and `Refund` track events and `page` events on `/` and `/cart`, mostly in
/// journey order, with gaps from none (one instant, the message ids then deciding) to a week,
/// over a few weeks from 2024-05-01, and an identify at some moment among them.
struct AttemptHistories {
    struct Event {
        /// track, page, identify.
        var type: String
        var name: String?
        /// Properties (traits of the identify).
        var props: [(String, String)]
        var ts: Int64
        var messageID: String
    }

    struct Profile {
        var userID: String
        /// The identify, then the history (0 … 12 events).
        var identify: Event
        var events: [Event]
    }

    var profiles: [Profile]

    enum Kind { case view, cart, order, refund, home, cartPage }

    struct Generator {
        var rng: SplitMix

        mutating func number(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }
        mutating func pick<T>(_ items: [T]) -> T { items[number(0...(items.count - 1))] }

        /// What usually comes next in a journey.
        mutating func follow(_ kind: Kind) -> Kind {
            switch kind {
            case .view: return pick([.view, .cart, .cart])
            case .cart: return pick([.cartPage, .order, .order])
            case .cartPage: return .order
            case .order: return pick([.refund, .view])
            case .refund, .home: return .view
            }
        }

        mutating func gap() -> Int64 {
            let r = number(0...99)
            if r < 15 { return 0 }
            if r < 50 { return Int64(number(1...59)) * OracleTime.minute }
            if r < 70 { return Int64(number(1...20)) * OracleTime.hour }
            if r < 80 { return Int64(number(1...3)) * OracleTime.day }
            if r < 90 { return Int64(number(1...3)) * OracleTime.day + Int64(number(1...23)) * OracleTime.hour }
            return Int64(number(3...8)) * OracleTime.day
        }

        mutating func profile(_ p: Int) -> Profile {
            let start = OracleTime.date(2024, 5, 1)
            let plan = pick(["free", "pro"])
            let count = number(0...12)
            var clock = start + Int64(number(0...13)) * OracleTime.day + Int64(number(0...23)) * OracleTime.hour
            let identifyAt = start + Int64(number(0...20)) * OracleTime.day + Int64(number(0...1439)) * OracleTime.minute
            let identify = Event(type: "identify", name: nil, props: [("plan", plan)], ts: identifyAt, messageID: "i-\(p)")
            var events: [Event] = []
            var previous: Kind?
            for k in 0..<count {
                let kind: Kind
                if let previous, number(0...99) < 55 {
                    kind = follow(previous)
                } else {
                    kind = pick([.view, .view, .view, .cart, .order, .refund, .home, .cartPage])
                }
                if k > 0 { clock += gap() }
                let messageID = "\(pick(["a", "m", "z"]))-\(p)-\(k)"
                switch kind {
                case .view, .cart, .order:
                    let campaign: String? = pick([nil, "spring", "summer"])
                    let name = kind == .view ? "Product Viewed" : kind == .cart ? "Added to Cart" : "Order Completed"
                    let props = campaign.map { [("campaign", $0)] } ?? []
                    events.append(Event(type: "track", name: name, props: props, ts: clock, messageID: messageID))
                case .refund:
                    events.append(Event(type: "track", name: "Refund", props: [], ts: clock, messageID: messageID))
                case .home, .cartPage:
                    events.append(Event(type: "page", name: nil, props: [("path", kind == .home ? "/" : "/cart")], ts: clock, messageID: messageID))
                }
                previous = kind
            }
            return Profile(userID: "u-fa-\(p)", identify: identify, events: events)
        }
    }

    static func make(seed: UInt64, profiles count: Int = 300) -> AttemptHistories {
        var generator = Generator(rng: SplitMix(seed: seed))
        return AttemptHistories(profiles: (0..<count).map { generator.profile($0) })
    }

    /// The messages, one Segment-shaped JSON object a line.
    var lines: [String] {
        profiles.flatMap { profile in
            ([profile.identify] + profile.events).map { event in
                let props = "{" + event.props.map { #""\#($0.0)":"\#($0.1)""# }.joined(separator: ",") + "}"
                let time = OracleTime.iso(event.ts)
                var line = #"{"type":"\#(event.type)","messageId":"\#(event.messageID)","timestamp":"\#(time)","userId":"\#(profile.userID)""#
                switch event.type {
                case "track": line += #","event":"\#(event.name!)","properties":\#(props)}"#
                case "page": line += #","properties":\#(props)}"#
                default: line += #","traits":\#(props)}"#
                }
                return line
            }
        }
    }

    /// The histories as the oracle reads them, without a database (profile ids 1, 2, …).
    var oracleData: OracleData {
        var events: [OracleEvent] = []
        for (index, profile) in profiles.enumerated() {
            for event in [profile.identify] + profile.events {
                var props: [String: OracleJSON] = [:]
                if event.type != "identify" { for (key, value) in event.props { props[key] = .string(value) } }
                events.append(OracleEvent(
                    id: events.count, profileID: Int64(index + 1), type: event.type, name: event.name, tsMicros: event.ts,
                    messageID: event.messageID, source: nil, props: props, context: [:]))
            }
        }
        let people = profiles.indices.map { OracleProfile(id: Int64($0 + 1), traits: [:], identities: []) }
        return OracleData(profiles: people, events: events, now: Timestamp.micros(ValueSeed.now))
    }

    /// A new tenant holding the histories, stored through the real ingestion.
    func seed(_ store: Store) async throws -> Tenant {
        let tenant = try await store.createTenant(slug: uniqueSlug("fa"), name: nil, actor: "test")
        let receivedAt = Timestamp.now()
        let messages = try lines.map { try MessageReader.line(Array($0.utf8), receivedAt: receivedAt) }
        var accepted = 0
        for start in stride(from: 0, to: messages.count, by: 500) {
            accepted += try await store.ingest(Array(messages[start..<min(start + 500, messages.count)]), tenant: tenant).accepted
        }
        guard accepted == messages.count else {
            throw TestSetupError("the generated histories stored \(accepted) of \(messages.count) messages")
        }
        return tenant
    }
}

/// The funnels asked of the generated histories, as written and as the oracle reads them.
enum AttemptCases {
    static let hour = OracleTime.hour, day = OracleTime.day

    static let view = OracleFunnelStep("Product Viewed")
    static let cart = OracleFunnelStep("Added to Cart")
    static let order = OracleFunnelStep("Order Completed")
    static let cartPage = OracleFunnelStep("page", optional: true, where: { $0["path"]?.string == "/cart" })
    static let refund = OracleFunnelStep("Refund")
    static let checkout = [view, cart, order]
    static let withCartPage = [view, cart, cartPage, order]

    static let checkoutText = "`Product Viewed` -> `Added to Cart` -> `Order Completed`"
    /// `within` after the last step is the whole funnel's window.
    static let stepWindowsText = "`Product Viewed` -> `Added to Cart` within 12 hours -> `Order Completed` within 1 day"
    static let stepWindowOnlyText = "`Product Viewed` -> `Added to Cart` within 12 hours -> `Order Completed`"
    static let withCartPageText = "`Product Viewed` -> `Added to Cart` -> optional page where path = \"/cart\" -> `Order Completed`"
    static let repeatViewsText = "`Product Viewed` -> `Product Viewed`"
    static let sinceText = (text: "since 2024-05-10", range: OracleRange.since(OracleTime.date(2024, 5, 10)))

    static let plain = OracleFunnel(checkout)
    static let window = OracleFunnel(checkout, within: 2 * day)
    static let stepWindows = OracleFunnel([view, OracleFunnelStep("Added to Cart", within: 12 * hour), order], within: day)
    static let stepWindowOnly = OracleFunnel([view, OracleFunnelStep("Added to Cart", within: 12 * hour), order])
    static let excluding = OracleFunnel(checkout, excludes: [refund])
    static let optional = OracleFunnel(withCartPage, within: 3 * day)
    static let optionalOnly = OracleFunnel(withCartPage)
    static let strict = OracleFunnel(withCartPage, order: .strict)
    static let anyOrder = OracleFunnel(withCartPage, within: 3 * day, order: .any)
    static let anyOnly = OracleFunnel(checkout, order: .any)
    static let anyExcluding = OracleFunnel(checkout, excludes: [refund], order: .any)
    static let windowExcluding = OracleFunnel(checkout, within: 2 * day, excludes: [refund])
    static let repeatViews = OracleFunnel([view, view], within: hour)
    static let repeatViewsOnly = OracleFunnel([view, view])

    static func entryFirst(_ funnel: OracleFunnel) -> OracleFunnel {
        var copy = funnel
        copy.entry = .first
        return copy
    }

    static func byCampaign(_ attribution: OracleAttribution, entry: OracleEntry) -> OracleFunnel {
        OracleFunnel(checkout, within: 2 * day, breakdown: .event(attribution) { .optionalText($0.props["campaign"]?.string) }, entry: entry)
    }

    /// The funnels asked both ways (`entry every`, `entry first`), without a date range.
    static let pairs: [(OracleFunnel, OracleFunnel)] = [
        plain, window, stepWindows, stepWindowOnly, excluding, optional, optionalOnly, strict, anyOrder, anyOnly, anyExcluding,
        windowExcluding, repeatViews, repeatViewsOnly,
    ].map { ($0, entryFirst($0)) }

    /// `show funnel NAME [since …]`, then (without a range or breakdown) `funnel NAMEdN dropped at N`
    /// for each N, each under a name of its own.
    static func cases(_ name: String, _ text: String, _ funnel: OracleFunnel, range: (text: String, range: OracleRange)? = nil,
                      breakdown: Bool = false) -> [ValueCase] {
        let show = range.map { "show funnel \(name) \($0.text)" } ?? "show funnel \(name)"
        let oracleRange = range?.range ?? .always
        var cases = [ValueCases.funnel("\(name): \(text)", "funnel \(name) = \(text); \(show)", breakdown: breakdown, settings: .defaults) {
            $0.funnelReport(funnel, range: oracleRange)
        }]
        guard !breakdown, range == nil else { return cases }
        for n in 1..<funnel.steps.count {
            let dropped = "\(name)d\(n)"
            cases.append(ValueCases.dropped("\(dropped): \(text), dropped at \(n)",
                                            "funnel \(dropped) = \(text); funnel \(dropped) dropped at \(n) | select id") {
                $0.dropped(funnel, at: n)
            })
        }
        return cases
    }

    static let definitions: [[ValueCase]] = [
        cases("f01", checkoutText, plain),
        cases("f02", "\(checkoutText) entry first", entryFirst(plain)),
        cases("f03", "\(checkoutText) within 2 days", window),
        cases("f04", "\(checkoutText) within 2 days entry first", entryFirst(window)),
        cases("f05", stepWindowsText, stepWindows),
        cases("f06", "\(stepWindowsText) entry first", entryFirst(stepWindows)),
        cases("f32", stepWindowOnlyText, stepWindowOnly),
        cases("f33", "\(stepWindowOnlyText) entry first", entryFirst(stepWindowOnly)),
        cases("f07", "\(checkoutText) exclude Refund", excluding),
        cases("f08", "\(checkoutText) exclude Refund entry first", entryFirst(excluding)),
        cases("f09", "\(withCartPageText) within 3 days", optional),
        cases("f10", "\(withCartPageText) within 3 days entry first", entryFirst(optional)),
        cases("f11", withCartPageText, optionalOnly),
        cases("f12", "\(withCartPageText) entry first", entryFirst(optionalOnly)),
        cases("f13", "\(withCartPageText) order strict", strict),
        cases("f14", "\(withCartPageText) order strict entry first", entryFirst(strict)),
        cases("f15", "\(withCartPageText) order any within 3 days", anyOrder),
        cases("f16", "\(withCartPageText) order any within 3 days entry first", entryFirst(anyOrder)),
        cases("f17", "\(checkoutText) order any", anyOnly),
        cases("f18", "\(checkoutText) order any exclude Refund", anyExcluding),
        cases("f19", "\(checkoutText) entry first order any exclude Refund", entryFirst(anyExcluding)),
        cases("f20", "\(checkoutText) within 2 days exclude Refund", windowExcluding),
        cases("f21", "\(checkoutText) within 2 days exclude Refund entry every", windowExcluding),
        cases("f22", "\(checkoutText) within 2 days exclude Refund entry first", entryFirst(windowExcluding)),
        cases("f23", "\(checkoutText) within 2 days exclude Refund", windowExcluding, range: sinceText),
        cases("f24", "\(checkoutText) within 2 days exclude Refund entry first", entryFirst(windowExcluding), range: sinceText),
        cases("f25", "\(repeatViewsText) within 1 hour", repeatViews),
        cases("f26", "\(repeatViewsText) within 1 hour entry first", entryFirst(repeatViews)),
        cases("f27", repeatViewsText, repeatViewsOnly),
        cases("f28", "\(checkoutText) within 2 days by props.campaign", byCampaign(.first, entry: .every), breakdown: true),
        cases("f29", "\(checkoutText) within 2 days by props.campaign attribute last", byCampaign(.last, entry: .every), breakdown: true),
        cases("f30", "\(checkoutText) within 2 days by props.campaign attribute last entry first", byCampaign(.last, entry: .first),
              breakdown: true),
        cases("f31", "\(checkoutText) within 2 days by props.campaign attribute step 2 entry first", byCampaign(.step(2), entry: .first),
              breakdown: true),
    ]

    static let all: [ValueCase] = definitions.flatMap { $0 }
}
