/// The syntax tree of an RQL script, as written: names are not resolved and nothing is
/// typed yet (that is the checker's job). Every node keeps its source range.

/// A name as written: a bare identifier or a backticked name (`` `Order Completed` ``).
public struct Name: Hashable, Sendable {
    public var text: String
    public var range: SourceRange
    public var quoted: Bool

    public init(_ text: String, _ range: SourceRange, quoted: Bool = false) {
        self.text = text
        self.range = range
        self.quoted = quoted
    }
}

public struct Script: Sendable {
    public var statements: [Statement]
    /// The text the script was parsed from (definitions are saved as slices of it).
    public var text: String = ""

    /// The text of `range`.
    public func text(of range: SourceRange) -> String {
        let utf8 = Array(text.utf8)
        guard range.start <= range.end, range.end <= utf8.count else { return "" }
        return String(decoding: utf8[range.start..<range.end], as: UTF8.self)
    }
}

public struct Statement: Sendable {
    public enum Kind: Sendable {
        case query(Query)
        case segment(Name, Query)
        case metric(Name, Expr)
        case funnel(Name, Funnel)
        case lifecycleStage(Name, Expr)
        case setValue(Name, [SettingValue])
        case report(Report)
        /// `show segments|funnels|metrics|traits|events`.
        case show(ShowTarget)
        case describe(Name)
        /// `drop segment|funnel|metric|sync NAME`.
        case drop(Name, Name)
        /// `sync NAME to DEST = QUERY [options]`.
        case sync(SyncStatement)
        case explain(analyze: Bool, Query)
        /// `explain [analyze] show REPORT`.
        case explainReport(analyze: Bool, Report)
    }

    public var kind: Kind
    public var range: SourceRange
}

/// `sync vip to crm = segment vip | select email, plan every 1 hour no backfill send traits`.
public struct SyncStatement: Sendable {
    public enum Option: Sendable {
        /// `every D`.
        case every(DurationLiteral)
        /// `manually`.
        case manually
        /// `backfill` (true) or `no backfill`.
        case backfill(Bool)
        /// `send events`, `send traits`, `send events and traits`.
        case send(String)
    }

    public var name: Name
    public var destination: Name
    public var query: Query
    public var options: [(option: Option, range: SourceRange)]
}

public struct Query: Sendable {
    public enum Source: Sendable {
        case profiles
        case events
        case segment(Name)
        case funnelDropped(Name, step: Int)
    }

    public var source: Source
    public var sourceRange: SourceRange
    public var stages: [Stage]
    public var range: SourceRange
}

public struct Stage: Sendable {
    public enum Kind: Sendable {
        case `where`(Expr)
        case select([SelectItem])
        case orderBy([OrderItem])
        case limit(Int, offset: Int?)
        case groupBy([Expr], select: [SelectItem]?)
        case count
    }

    public var kind: Kind
    public var range: SourceRange
}

public struct SelectItem: Sendable {
    public var name: Name?
    public var expr: Expr
}

public struct OrderItem: Sendable {
    public var expr: Expr
    public var descending: Bool
}

/// An expression; predicates are expressions of boolean type.
public struct Expr: Sendable {
    public indirect enum Kind: Sendable {
        case literal(Literal)
        /// `plan`, `purchase.amount`, `props.country`, `traits.plan`.
        case field([Name])
        /// `count(purchase within 90 days)`, `first(signup).ts`, `count()`.
        case aggregate(Aggregate)
        case did(EventRef)
        /// `in vip`: membership of a saved segment.
        case inSegment(Name)
        case not(Expr)
        case negate(Expr)
        case binary(BinaryOperator, Expr, Expr)
        case inList(Expr, [Expr], negated: Bool)
        case isNull(Expr, negated: Bool)
        /// `ts within 30 days`.
        case within(Expr, DurationLiteral)
    }

    public var kind: Kind
    public var range: SourceRange

    public init(_ kind: Kind, _ range: SourceRange) {
        self.kind = kind
        self.range = range
    }
}

public enum BinaryOperator: String, Sendable, CaseIterable {
    case or, and
    case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case contains, startsWith = "starts with", matches
    case add = "+", subtract = "-", multiply = "*", divide = "/"

    /// The operator with its operands swapped: `<` for `>`.
    public var mirrored: BinaryOperator {
        switch self {
        case .less: .greater
        case .lessOrEqual: .greaterOrEqual
        case .greater: .less
        case .greaterOrEqual: .lessOrEqual
        default: self
        }
    }

    public var isComparison: Bool {
        [.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual].contains(self)
    }
}

public enum Literal: Sendable, Equatable {
    case string(String)
    /// The digits as written, with a leading `-` when negated.
    case number(String)
    /// `20%`: the number written before the `%`.
    case percent(String)
    case date(String)
    case timestamp(String)
    case duration(DurationLiteral)
    case boolean(Bool)
    case now, today, null
}

public struct DurationLiteral: Sendable, Equatable {
    public enum Unit: String, Sendable {
        case minute, hour, day, week, month, year
    }

    public var amount: Int
    public var unit: Unit
    public var range: SourceRange
}

public struct Aggregate: Sendable {
    /// `count`, `sum`, `avg`, `min`, `max`, `first`, `last`.
    public var function: Name
    /// Absent for `count()`.
    public var argument: EventRef?
    /// `first(signup).ts`: the field after the call.
    public var member: Name?
}

/// An aggregate's argument: events by name (`purchase`, `any`), optionally one property
/// (`purchase.amount`), narrowed by a predicate on the event's own properties and a
/// window. In a group-by `select` the argument is an expression over the rows instead.
public struct EventRef: Sendable {
    public var target: Expr
    public var filter: Expr?
    public var window: Window?
    public var range: SourceRange
}

public enum Window: Sendable {
    case within(DurationLiteral)
    case since(Expr)
    case between(Expr, Expr)
}

public struct Funnel: Sendable {
    public struct Step: Sendable {
        public var optional: Bool
        public var event: Name
        public var filter: Expr?
        public var within: DurationLiteral?
    }

    public enum Option: Sendable {
        case within(DurationLiteral)
        case exclude(Name, Expr?)
        case order(Name)
        /// `entry every` or `entry first`: which step-1 events start an attempt.
        case entry(Name)
        case by([Name], attribution: [Name])
    }

    public var steps: [Step]
    public var options: [Option]
}

public enum SettingValue: Sendable {
    case eventValue(event: Name, property: Name)
    case percent(String, SourceRange)
}

/// What `show` reports, named as written after `show`.
public enum ReportKind: String, Sendable, CaseIterable {
    case funnel, tiers, pareto, lifecycle, retention
    case valueChain = "value chain"
    case valueSettings = "value settings"
}

/// A retention report's period.
public enum RetentionPeriod: String, Sendable {
    case week, month
}

public struct Report: Sendable {
    public var kind: ReportKind
    public var name: Name?
    public var by: [Name]?
    public var range: SourceRange
    /// `show funnel NAME since T | between T1 and T2`; `show retention … since T`.
    public var window: Window?
    /// `show pareto top 10%`.
    public var percent: (text: String, range: SourceRange)?
    /// `show retention by week|month`.
    public var period: RetentionPeriod?
}
