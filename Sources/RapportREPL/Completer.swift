import RapportQL

/// The names tab completion offers, from the tenant's catalogue.
public struct CompletionCatalog: Sendable, Equatable {
    public var traits: [String]
    public var events: [String]
    /// Event name -> its property names.
    public var properties: [String: [String]]
    public var identityKinds: [String]
    public var segments: [String]
    public var metrics: [String]
    public var funnels: [String]

    public init(traits: [String] = [], events: [String] = [], properties: [String: [String]] = [:], identityKinds: [String] = [],
                segments: [String] = [], metrics: [String] = [], funnels: [String] = []) {
        (self.traits, self.events, self.properties, self.identityKinds) = (traits, events, properties, identityKinds)
        (self.segments, self.metrics, self.funnels) = (segments, metrics, funnels)
    }

    /// From the checker's view of a tenant.
    public init(_ catalog: any Catalog) {
        self.init(traits: catalog.traitNames, events: catalog.eventNames, properties: catalog.propertyNamesByEvent,
                  identityKinds: catalog.identityKinds.map(\.name), segments: catalog.definitionNames(.segment),
                  metrics: catalog.definitionNames(.metric), funnels: catalog.definitionNames(.funnel))
    }
}

/// Tab completion: the word before the cursor and what can replace it.
public struct Completer: Sendable {
    public var catalog: CompletionCatalog

    public init(catalog: CompletionCatalog) { self.catalog = catalog }

    /// RQL's words (LANGUAGE.md).
    public static let keywords = [
        "profiles", "events", "segment", "metric", "funnel", "where", "select", "order", "by", "limit", "group", "count",
        "and", "or", "not", "in", "is", "null", "true", "false", "did", "within", "since", "between", "before", "after",
        "sum", "avg", "min", "max", "first", "last", "first_seen", "last_seen", "contains", "starts_with", "matches",
        "desc", "asc", "show", "describe", "drop", "explain", "analyze", "set", "value", "lifecycle", "stage", "tiers",
        "pareto", "retention", "chain", "segments", "funnels", "metrics", "traits", "sync", "syncs", "optional", "exclude", "entry", "strict", "any",
        "sequential", "attribute", "step", "dropped", "at", "now", "today", "days", "hours", "weeks", "months",
        "revenue", "cost", "orders", "first_order", "last_order", "clv", "tier", "recency", "frequency", "monetary", "rfm",
    ]

    public static let commands = ["\\q", "\\help", "\\d", "\\explain", "\\profile", "\\format", "\\o", "\\timing", "\\x"]

    /// For the text before the cursor: where the word being completed starts (a UTF-8 offset)
    /// and the candidates, sorted, each a whole replacement of that word (event names with
    /// spaces come quoted in backticks).
    public func complete(_ before: String) -> (start: Int, candidates: [String]) {
        let bytes = Array(before.utf8)
        // A backquoted name under way: from the open backtick.
        let ticks = bytes.filter { $0 == UInt8(ascii: "`") }.count
        var start = bytes.count
        if ticks % 2 == 1, let open = bytes.lastIndex(of: UInt8(ascii: "`")) {
            start = open
        } else {
            while start > 0, Self.isWordByte(bytes[start - 1]) { start -= 1 }
            if start > 0, bytes[start - 1] == UInt8(ascii: "\\") { start -= 1 }
        }
        let word = String(decoding: bytes[start...], as: UTF8.self)
        let head = String(decoding: bytes[..<start], as: UTF8.self)
        var pool: [String]
        if head.trimmingWhitespace().isEmpty, word.hasPrefix("\\") {
            pool = Self.commands
        } else if head.hasSuffix(".") {
            // `Event.prop` or `` `Order Completed`.prop ``: the event's properties.
            let event = Self.eventBefore(dot: String(head.dropLast()))
            return (start, (catalog.properties[event] ?? []).filter { $0.hasPrefix(word) }.sorted())
        } else if head.trimmingWhitespace().hasPrefix("\\d") || head.trimmingWhitespace().hasPrefix("\\format") {
            pool = head.hasPrefix("\\format") ? OutputFormat.allCases.map(\.rawValue)
                : catalog.traits + catalog.events.map(Self.quoted) + catalog.segments + catalog.metrics + catalog.funnels
        } else if word.hasPrefix("`") {
            pool = catalog.events.map(Self.quoted) + catalog.traits.map(Self.quoted)
        } else {
            pool = Self.keywords + catalog.traits.map(Self.quoted) + catalog.events.map(Self.quoted) + catalog.identityKinds
                + catalog.segments + catalog.metrics + catalog.funnels
        }
        // A bare start also finds a name that must be quoted (`Add` -> `` `Added to Cart` ``).
        let matches = Set(pool.filter { candidate in
            (candidate.hasPrefix(word) && candidate != word) || (word.hasPrefix("`") && candidate.hasPrefix(word))
                || (!word.isEmpty && candidate.hasPrefix("`") && candidate.dropFirst().hasPrefix(word))
        })
        return (start, matches.sorted())
    }

    static func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte >= 0x80
    }

    /// A name as RQL needs it written: bare when it is a plain word, else in backticks.
    public static func quoted(_ name: String) -> String {
        let plain = !name.isEmpty && name.utf8.allSatisfy(isWordByte) && !(name.utf8.first.map { $0 >= 0x30 && $0 <= 0x39 } ?? false)
        return plain ? name : "`" + name.replacingOccurrences(of: "`", with: "``") + "`"
    }

    /// The event named just before a dot: a bare word or a backquoted name.
    static func eventBefore(dot text: String) -> String {
        if text.hasSuffix("`"), let open = text.dropLast().lastIndex(of: "`") {
            return String(text[text.index(after: open)..<text.index(before: text.endIndex)])
        }
        return String(text.reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" }.reversed())
    }

    /// The longest start all candidates share (what Tab inserts when there are several).
    public static func commonPrefix(_ candidates: [String]) -> String {
        guard var prefix = candidates.first else { return "" }
        for candidate in candidates.dropFirst() {
            while !candidate.hasPrefix(prefix) { prefix.removeLast() }
        }
        return prefix
    }
}
