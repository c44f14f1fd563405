/// The checked program: names resolved against the catalogue, every expression typed.
/// The SQL compiler reads only this.

public enum TypedStatement: Sendable {
    case query(TypedQuery)
    /// A segment or metric to save, with the definitions it uses.
    case define(Definition, uses: [String])
    /// `show segments|metrics|traits|events|funnels|syncs`.
    case show(ShowTarget)
    case describe(String)
    case drop(Definition.Kind, String)
    /// A sync to save.
    case defineSync(SyncDefinition)
    case explain(TypedQuery, analyze: Bool)
    case explainReport(TypedReport, analyze: Bool)
    /// `show tiers`, `show funnel NAME`, …
    case report(TypedReport)
}

/// A query as levels: the first reads profiles or events; each later one reads the rows
/// of the one before (a stage after `select`, `group by` or `limit` starts a level).
public struct TypedQuery: Sendable {
    public enum Source: Sendable { case profiles, events }

    public var source: Source
    public var levels: [Level]

    public var columns: [Column] { levels.last?.columns ?? [] }
}

public struct Column: Sendable {
    public var name: String
    public var expr: TypedExpr
    public var type: FieldType { expr.type }
}

public struct Level: Sendable {
    public var filters: [TypedExpr] = []
    public var columns: [Column] = []
    /// Whether `columns` was chosen (by `select` or `group by`) rather than the default.
    public var projected = false
    public var groupKeys: [TypedExpr]?
    public var order: [(expr: TypedExpr, descending: Bool)] = []
    public var limit: Int?
    public var offset: Int?
    public var isCount = false
}

public enum AggregateFunction: String, Sendable {
    case count, sum, avg, min, max, first, last
}

/// Which events an event aggregate reads.
public enum EventSelector: Sendable, Equatable {
    case any
    /// Track events of this name.
    case track(String)
    /// Events of this type (`page`, `screen`).
    case type(String)
}

public struct TypedWindow: Sendable {
    public var from: TypedExpr?
    public var to: TypedExpr?
    /// Whether `to` is a whole day (a date), so that the window ends before the next day.
    public var toWholeDay = false
}

/// `sum(purchase.amount where currency = "EUR" within 90 days)` on one profile.
public struct EventAggregate: Sendable {
    public var function: AggregateFunction
    public var events: EventSelector
    /// The property read (`amount`) and its type; nil for the event itself.
    public var property: (name: String, type: FieldType)?
    public var filter: TypedExpr?
    public var window: TypedWindow?
}

/// What `show` lists (reports are `TypedReport`s).
public enum ShowTarget: String, Sendable, CaseIterable {
    case segments, funnels, metrics, traits, events, syncs
}

/// A profile's own columns (the names are RQL's and the table's).
public enum ProfileColumn: String, Sendable, CaseIterable {
    case id
    case createdAt = "created_at"
    case updatedAt = "updated_at"

    public var type: FieldType { self == .id ? .number : .timestamp }
}

/// An event's own columns (the names are RQL's and the table's).
public enum EventColumn: String, Sendable, CaseIterable {
    case ts
    case receivedAt = "received_at"
    case name, type, source
    case profileId = "profile_id"
    case messageId = "message_id"

    public var fieldType: FieldType {
        switch self {
        case .ts, .receivedAt: .timestamp
        case .name, .type, .source, .messageId: .text
        case .profileId: .number
        }
    }
}

public struct TypedExpr: Sendable {
    public indirect enum Kind: Sendable {
        case text(String)
        /// A decimal number as written (`-7`, `3.5`; `20%` becomes `0.2`).
        case number(String)
        case boolean(Bool)
        /// An instant, ISO 8601 in UTC.
        case timestamp(String)
        /// A PostgreSQL interval: `90 days`.
        case duration(String)
        case null
        case now, today

        /// `id`, `created_at`, `updated_at` of the profile.
        case profileColumn(ProfileColumn)
        case trait(String)
        /// The most recently seen identifier of a kind.
        case identity(String)
        /// Whether any identifier of `kind` satisfies `op` with the values; null without any.
        case identityTest(kind: String, op: BinaryOperator, values: [TypedExpr])
        /// An event aggregate of the profile (`first_seen` is `first(any).ts`).
        case eventAggregate(EventAggregate)
        /// `coalesce(event aggregate, created_at)`: `first_seen` and `last_seen`.
        case seen(first: Bool)
        /// `ts`, `name`, `type`, `received_at`, `source`, `profile_id`, `message_id` of an event.
        case eventColumn(EventColumn)
        case eventProperty(String)
        case eventContext([String])
        /// A column of the previous level, by position.
        case previous(Int)
        /// `count()`, `sum(x)`: over the rows of a group.
        case rowAggregate(AggregateFunction, TypedExpr?)

        case not(TypedExpr)
        case negate(TypedExpr)
        case binary(BinaryOperator, TypedExpr, TypedExpr)
        case inList(TypedExpr, [TypedExpr], negated: Bool)
        case isNull(TypedExpr, negated: Bool)
        /// `ts` inside the window.
        case inWindow(TypedExpr, TypedWindow)
        /// A saved segment's predicate: false (never null) where it does not hold.
        case inSegment(String, TypedExpr)
        /// A customer-value field of the profile.
        case value(ValueField, ValueSettings)
        /// `stage`: the first rule (highest stage first) that holds.
        case stage([(LifecycleStage, TypedExpr)])
        /// `funnel NAME dropped at N`: whether the profile's last reached step is N.
        case funnelDropped(TypedFunnel, step: Int)
    }

    public var kind: Kind
    public var type: FieldType

    public init(_ kind: Kind, _ type: FieldType) {
        self.kind = kind
        self.type = type
    }
}
