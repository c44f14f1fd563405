/// The types RQL values have.
public enum FieldType: String, Sendable, Codable {
    case text, number, boolean, timestamp, duration
    /// The type of `null`: compatible with every other.
    case null
}

/// A tenant's identity kind as the checker needs it: its name and how ingestion
/// normalises its values (`email`, `phone`, `trim`, `none`).
public struct IdentityKindInfo: Sendable, Equatable {
    public var name: String
    public var normalization: String

    public init(name: String, normalization: String) {
        self.name = name
        self.normalization = normalization
    }
}

/// A saved segment or metric.
public struct Definition: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case segment, metric, funnel
        /// A value setting, named `value.revenue` …
        case setting
        /// A lifecycle stage's rule, named `stage.retention` …
        case stage
        /// A sync (kept in its own table, not among the definitions; named here to be dropped).
        case sync
    }

    public var kind: Kind
    public var name: String
    /// The definition's RQL, as it follows `segment NAME =` (a query) or `metric NAME =`.
    public var source: String

    public init(kind: Kind, name: String, source: String) {
        self.kind = kind
        self.name = name
        self.source = source
    }
}

/// What the checker knows of a tenant: its traits, events and their properties with the
/// types observed at ingestion, its identity kinds and its saved definitions. A fixture
/// in tests; RapportStore reads it from the tenant's `catalogue`, `identity_kinds` and
/// `definitions` tables.
public protocol Catalog: Sendable {
    /// The trait's type, if the trait was ever seen.
    func traitType(_ name: String) -> FieldType?
    var traitNames: [String] { get }
    /// Whether a track event of that name was ever seen.
    func hasEvent(_ name: String) -> Bool
    var eventNames: [String] { get }
    /// The type of property `name` of `event`, or of any event's property `name` when
    /// `event` is nil.
    func propertyType(event: String?, name: String) -> FieldType?
    func propertyNames(event: String?) -> [String]
    var identityKinds: [IdentityKindInfo] { get }
    func definition(_ name: String) -> Definition?
    /// Every saved definition, for `show` and did-you-mean hints.
    var definitionList: [Definition] { get }
    /// The tenant's destinations, by name (a sync sends to one).
    var destinationNames: [String] { get }
    /// The tenant's syncs, by name.
    var syncNames: [String] { get }
    /// The per-profile summaries, when they are ready to be read.
    var summaries: SummaryAvailability? { get }
}

extension Catalog {
    public var destinationNames: [String] { [] }
    public var syncNames: [String] { [] }
    public var summaries: SummaryAvailability? { nil }

    /// Each track event's property names, and those of `page` and `screen` events (for
    /// completion in editors and the REPL).
    public var propertyNamesByEvent: [String: [String]] {
        // A track event may itself be named `page`: one entry per name.
        Dictionary((eventNames + ["page", "screen"]).map { ($0, propertyNames(event: $0)) }, uniquingKeysWith: { first, _ in first })
    }

    /// The names of the saved definitions of `kind`, sorted.
    public func definitionNames(_ kind: Definition.Kind) -> [String] {
        definitionList.filter { $0.kind == kind }.map(\.name)
    }
}

/// A catalogue held in memory, built from the rows of the `catalogue` table.
public struct CatalogSnapshot: Catalog {
    public struct Entry: Sendable, Hashable {
        /// `trait`, `event` or `property` (named `Event.property`).
        public var kind: String
        public var name: String
        /// `text`, `number`, `boolean`, or a type RQL does not query (`array`, `object`, `null`).
        public var type: String

        public init(kind: String, name: String, type: String) {
            self.kind = kind
            self.name = name
            self.type = type
        }
    }

    // Names as the database tells them apart (byte for byte).
    var traits: [ExactName: FieldType] = [:]
    var events: Set<ExactName> = []
    /// Event name -> property -> type; "" collects every event's properties.
    var properties: [ExactName: [ExactName: FieldType]] = [:]
    public var identityKinds: [IdentityKindInfo]
    var definitions: [String: Definition]
    public var destinationNames: [String]
    public var syncNames: [String]
    public var summaries: SummaryAvailability?

    public init(entries: [Entry], identityKinds: [IdentityKindInfo], definitions: [Definition] = [],
                destinations: [String] = [], syncs: [String] = [], summaries: SummaryAvailability? = nil) {
        self.identityKinds = identityKinds
        self.summaries = summaries
        self.destinationNames = destinations.sorted()
        self.syncNames = syncs.sorted()
        self.definitions = Dictionary(definitions.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var traitTypes: [ExactName: Set<String>] = [:]
        var propertyTypes: [ExactName: [ExactName: Set<String>]] = [:]
        for entry in entries {
            switch entry.kind {
            case "trait":
                traitTypes[ExactName(entry.name), default: []].insert(entry.type)
            case "event":
                events.insert(ExactName(entry.name))
            case "property":
                // `Order Completed.revenue`: the event name may hold dots, the property not.
                guard let dot = entry.name.lastIndex(of: ".") else { continue }
                let event = ExactName(String(entry.name[..<dot])), property = ExactName(String(entry.name[entry.name.index(after: dot)...]))
                propertyTypes[event, default: [:]][property, default: []].insert(entry.type)
                propertyTypes[ExactName(""), default: [:]][property, default: []].insert(entry.type)
            default:
                continue
            }
        }
        traits = traitTypes.compactMapValues(Self.type(observed:))
        properties = propertyTypes.mapValues { $0.compactMapValues(Self.type(observed:)) }
    }

    /// A name seen with several types takes the first of number, boolean, text.
    static func type(observed: Set<String>) -> FieldType? {
        for candidate in [FieldType.number, .boolean, .text] where observed.contains(candidate.rawValue) { return candidate }
        return nil
    }

    public func traitType(_ name: String) -> FieldType? { traits[ExactName(name)] }
    public var traitNames: [String] { traits.keys.sorted().map(\.text) }
    public func hasEvent(_ name: String) -> Bool { events.contains(ExactName(name)) }
    public var eventNames: [String] { events.sorted().map(\.text) }

    public func propertyType(event: String?, name: String) -> FieldType? {
        properties[ExactName(event ?? "")]?[ExactName(name)]
    }

    public func propertyNames(event: String?) -> [String] {
        (properties[ExactName(event ?? "")] ?? [:]).keys.sorted().map(\.text)
    }

    public func definition(_ name: String) -> Definition? { definitions[name] }
    public var definitionList: [Definition] { definitions.values.sorted { $0.name < $1.name } }
}

/// A checked sync, ready to save (Grammar/README.md, "Syncs").
public struct SyncDefinition: Sendable, Equatable, Codable {
    public enum Send: String, Sendable, Codable {
        case events, traits
        case eventsAndTraits = "events and traits"

        /// The record kinds this mode queues (`send traits` sends exits as the trait set to false).
        public var kinds: [String] {
            self == .events ? ["entered", "exited"] : ["entered", "changed", "exited"]
        }
    }

    public var name: String
    public var destination: String
    /// The audience's RQL, as written after `=`.
    public var query: String
    /// The fields each record carries: the select's columns, in order.
    public var fields: [String]
    /// Seconds between scheduled runs; nil for `manually`.
    public var every: Int?
    public var backfill: Bool
    public var send: Send
    /// The saved definitions the audience uses.
    public var uses: [String]

    public init(name: String, destination: String, query: String, fields: [String], every: Int?, backfill: Bool, send: Send,
                uses: [String]) {
        self.name = name
        self.destination = destination
        self.query = query
        self.fields = fields
        self.every = every
        self.backfill = backfill
        self.send = send
        self.uses = uses
    }

    /// The statement that saves this sync again (`describe` shows it).
    public var statement: String {
        var text = "sync \(name) to \(destination) = \(query)"
        text += every.map { " every \(Self.duration($0))" } ?? " manually"
        text += backfill ? "" : " no backfill"
        text += " send \(send.rawValue)"
        return text
    }

    /// `3600` as `1 hour`, `5400` as `90 minutes`.
    public static func duration(_ seconds: Int) -> String {
        for (unit, size) in [("day", 86_400), ("hour", 3600), ("minute", 60)] where seconds % size == 0 {
            let n = seconds / size
            return "\(n) \(unit)\(n == 1 ? "" : "s")"
        }
        return "\(seconds / 60) minutes"
    }
}
