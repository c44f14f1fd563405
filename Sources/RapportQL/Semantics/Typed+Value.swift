/// The checked forms of funnels, customer-value fields and reports (Grammar/README.md,
/// "Funnels", "Customer value", "Reports").

/// A tenant's value settings, defaults filled in.
public struct ValueSettings: Sendable, Equatable {
    /// A revenue or cost event and the property holding its value. Two flows are the same when
    /// their names are the same bytes, as PostgreSQL compares them (Swift's `==` on strings
    /// would also take "é" composed for "é" decomposed, which the database does not).
    public struct Flow: Sendable, Hashable {
        public var event: String
        public var property: String

        public init(event: String, property: String) {
            self.event = event
            self.property = property
        }

        public static func == (a: Flow, b: Flow) -> Bool {
            a.event.sameBytes(as: b.event) && a.property.sameBytes(as: b.property)
        }

        public func hash(into hasher: inout Hasher) {
            event.hashBytes(into: &hasher)
            property.hashBytes(into: &hasher)
        }
    }

    public var revenue: [Flow]
    public var cost: [Flow]
    /// The yearly discount rate as a decimal fraction (`0.1`).
    public var discount: String
    /// Shares of platinum, gold, silver and bronze, as decimal fractions.
    public var tiers: [String]

    public static let defaults = ValueSettings(
        revenue: [Flow(event: "Order Completed", property: "revenue"), Flow(event: "purchase", property: "amount")],
        cost: [], discount: "0", tiers: ["0.1", "0.16", "0.35", "0.2"])

    public static let tierNames = ["platinum", "gold", "silver", "bronze", "lead"]

    public init(revenue: [Flow], cost: [Flow], discount: String, tiers: [String]) {
        self.revenue = revenue
        self.cost = cost
        self.discount = discount
        self.tiers = tiers
    }
}

/// What a tenant's per-profile summaries (the `event_summaries` table) hold while they are
/// ready: every event's count and first and last `ts`, per profile and track event name (or
/// other event type), and the value of these revenue and cost flows. The compiler reads them
/// for an aggregate they answer exactly, and the raw events otherwise.
public struct SummaryAvailability: Sendable, Equatable {
    public var revenue: [ValueSettings.Flow]
    public var cost: [ValueSettings.Flow]
    /// Which rebuild of the summaries these are (a query that read them checks it is still the one).
    public var generation: Int64

    public init(revenue: [ValueSettings.Flow], cost: [ValueSettings.Flow], generation: Int64 = 0) {
        self.revenue = revenue
        self.cost = cost
        self.generation = generation
    }

    /// Whether the summaries' value flows are those of `settings`.
    public func holds(_ settings: ValueSettings) -> Bool { revenue == settings.revenue && cost == settings.cost }
}

/// A built-in customer-value field (`stage` is checked into a `TypedExpr.stage`).
public enum ValueField: String, Sendable, CaseIterable {
    case revenue, cost, orders
    case firstOrder = "first_order"
    case lastOrder = "last_order"
    case clv, tier, recency, frequency, monetary, rfm

    public var type: FieldType {
        switch self {
        case .revenue, .cost, .orders, .clv, .frequency, .monetary: .number
        case .firstOrder, .lastOrder: .timestamp
        case .recency: .duration
        case .tier, .rfm: .text
        }
    }
}

/// The lifecycle stages, lowest first.
public enum LifecycleStage: String, Sendable, CaseIterable {
    case reach, acquisition, development, retention, inspire
}

/// A funnel ready to compile.
public struct TypedFunnel: Sendable {
    public struct Step: Sendable {
        public var optional: Bool
        public var events: EventSelector
        /// The step's event name as written (`page` for page steps).
        public var label: String
        public var filter: TypedExpr?
        /// This step's own window from the previous required step (PostgreSQL interval text).
        public var within: String?
    }

    public enum Order: String, Sendable { case sequential, strict, any }

    /// Which step-1 events start an attempt (Grammar/README.md, "Funnels", "Attempts").
    public enum Entry: String, Sendable { case every, first }

    public enum Attribution: Sendable, Equatable {
        case first, last
        /// Step N, from 1.
        case step(Int)
    }

    /// The breakdown: a property of the attributed step's event, or a profile field.
    public enum Breakdown: Sendable {
        case event(TypedExpr, Attribution)
        case profile(TypedExpr)

        public var type: FieldType {
            switch self {
            case .event(let expr, _), .profile(let expr): expr.type
            }
        }
    }

    public var name: String
    public var steps: [Step]
    /// The whole funnel's window from the entry.
    public var within: String?
    public var excludes: [(events: EventSelector, filter: TypedExpr?)]
    public var order: Order
    public var entry: Entry = .every
    public var breakdown: Breakdown?
    /// The entry's date range (`since`, `between`); nil: any time.
    public var range: TypedWindow?

    /// The index of the required step before `index` (nil for the first).
    public func previousRequired(_ index: Int) -> Int? {
        stride(from: index - 1, through: 0, by: -1).first { !steps[$0].optional }
    }
}

/// A report: rows computed over the whole tenant.
public enum TypedReport: Sendable {
    case funnel(TypedFunnel)
    case tiers(ValueSettings)
    /// `show pareto top P` (P as a decimal fraction).
    case pareto(top: String, ValueSettings)
    case lifecycle(by: TypedExpr?, stage: TypedExpr)
    case retention(period: RetentionPeriod, since: TypedExpr?, ValueSettings)
    case valueChain(ValueSettings, stage: TypedExpr)
    /// `show value settings`: rows computed by the checker.
    case settings([(setting: String, value: String, isDefault: Bool)])

    /// The report's columns.
    public var columns: [ResultColumn] {
        func columns(_ pairs: KeyValuePairs<String, FieldType>) -> [ResultColumn] { pairs.map { ResultColumn(name: $0.key, type: $0.value) } }
        switch self {
        case .funnel(let funnel):
            let steps = columns(["step": .number, "event": .text, "optional": .boolean, "profiles": .number,
                                 "from_previous": .number, "from_first": .number, "median_time": .duration, "p90_time": .duration])
            guard let breakdown = funnel.breakdown else { return steps }
            return [ResultColumn(name: "by", type: breakdown.type)] + steps
        case .tiers:
            return columns(["tier": .text, "profiles": .number, "share": .number, "value": .number, "value_share": .number,
                            "min_clv": .number, "max_clv": .number])
        case .pareto:
            return columns(["top": .number, "profiles": .number, "value": .number, "total": .number, "share": .number])
        case .lifecycle(let by, _):
            let stages = columns(["stage": .text, "profiles": .number, "reached": .number, "conversion": .number])
            guard let by else { return stages }
            return [ResultColumn(name: "by", type: by.type)] + stages
        case .retention:
            return columns(["cohort": .timestamp, "period": .number, "customers": .number, "active": .number, "retention": .number])
        case .valueChain:
            return columns(["stage": .text, "measure": .text, "key": .text, "value": .number])
        case .settings:
            return columns(["setting": .text, "value": .text, "default": .boolean])
        }
    }
}

extension String {
    /// Whether the two are the same UTF-8 bytes: equality as the database sees names, where
    /// Swift's `==` also equates canonically equivalent strings.
    public func sameBytes(as other: String) -> Bool { utf8.elementsEqual(other.utf8) }

    /// Hashes the UTF-8 bytes (and their count), without copying them: the hash that goes with
    /// ``sameBytes(as:)``.
    public func hashBytes(into hasher: inout Hasher) {
        var text = self
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        hasher.combine(utf8.count)
    }
}

/// A name compared as PostgreSQL compares it, byte for byte: as a set member or a dictionary
/// key, "é" composed and "é" decomposed are two names (Swift's `String` would make them one).
public struct ExactName: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let text: String

    public init(_ text: String) { self.text = text }

    public static func == (a: ExactName, b: ExactName) -> Bool { a.text.sameBytes(as: b.text) }
    public func hash(into hasher: inout Hasher) { text.hashBytes(into: &hasher) }

    /// In `String` order; canonically equivalent names by their bytes.
    public static func < (a: ExactName, b: ExactName) -> Bool {
        a.text != b.text ? a.text < b.text : a.text.utf8.lexicographicallyPrecedes(b.text.utf8)
    }

    public var description: String { text }
}
