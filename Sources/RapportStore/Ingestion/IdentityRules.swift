/// An identifier: a kind (`user_id`, `email`, …) and a normalised value.
public struct IdentityKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var kind: String
    public var value: String

    public init(_ kind: String, _ value: String) {
        self.kind = kind
        self.value = value
    }

    public static func < (a: IdentityKey, b: IdentityKey) -> Bool { (a.kind, a.value) < (b.kind, b.value) }
    public var description: String { "\(kind):\(value)" }
}

/// How values of a kind are normalised before they are compared.
public enum Normalization: String, Sendable, Codable, CaseIterable {
    /// Trimmed and lower-cased.
    case email
    /// Digits only (at least 5).
    case phone
    /// Trimmed.
    case trim
    /// As sent.
    case none
}

/// One identity kind of a tenant.
public struct IdentityKind: Sendable, Codable, Equatable {
    public var name: String
    /// 1 is the highest. When identifiers disagree, the higher-priority one decides the profile.
    public var priority: Int
    /// The most identifiers of this kind one profile may hold; a merge that would exceed it does not happen.
    public var limit: Int
    /// Values never used for identity (compared after normalisation, case-insensitively).
    public var blocked: [String]
    public var normalization: Normalization

    public init(name: String, priority: Int, limit: Int, blocked: [String] = IdentityRules.defaultBlocked, normalization: Normalization) {
        self.name = name
        self.priority = priority
        self.limit = limit
        self.blocked = blocked
        self.normalization = normalization
    }
}

/// A tenant's identity kinds, and how identifiers are read from a message.
public struct IdentityRules: Sendable, Equatable {
    public var kinds: [IdentityKind]
    private let byName: [String: IdentityKind]
    private let blockedSets: [String: Set<String>]

    public init(kinds: [IdentityKind]) {
        self.kinds = kinds.sorted { ($0.priority, $0.name) < ($1.priority, $1.name) }
        byName = Dictionary(kinds.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        blockedSets = Dictionary(kinds.map { ($0.name, Set($0.blocked.map { $0.lowercased() })) }, uniquingKeysWith: { a, _ in a })
    }

    public static func == (a: IdentityRules, b: IdentityRules) -> Bool { a.kinds == b.kinds }

    /// Values that identify nobody, blocked for every default kind.
    public static let defaultBlocked = [
        "", "null", "undefined", "nil", "none", "0", "-1", "anonymous", "guest", "unknown", "n/a", "na",
        "[object object]", "true", "false", "nan", "test", "user", "{}", "[]",
    ]

    /// user_id (priority 1, limit 1), email (2, 5), phone (3, 5), anonymous_id (4, 100).
    public static let defaults = IdentityRules(kinds: [
        IdentityKind(name: "user_id", priority: 1, limit: 1, normalization: .trim),
        IdentityKind(name: "email", priority: 2, limit: 5, normalization: .email),
        IdentityKind(name: "phone", priority: 3, limit: 5, normalization: .phone),
        IdentityKind(name: "anonymous_id", priority: 4, limit: 100, normalization: .trim),
    ])

    public func kind(_ name: String) -> IdentityKind? { byName[name] }

    /// `value` normalised for `kind`, or nil if it is blocked or unusable.
    public func normalize(_ value: String, kind: String) -> String? {
        guard let rule = byName[kind] else { return nil }
        let value = value.nfc
        var v: String
        switch rule.normalization {
        case .email: v = value.trimmed().lowercased()
        case .phone:
            v = String(value.unicodeScalars.filter { $0.properties.numericType == .decimal && $0.isASCII }.map(Character.init))
            if v.count < 5 { return nil }
        case .trim: v = value.trimmed()
        case .none: v = value
        }
        if v.isEmpty || v.utf8.count > 500 || blockedSets[kind]?.contains(v.lowercased()) == true { return nil }
        if rule.normalization == .email && !v.contains("@") { return nil }
        return v
    }

    /// The identifiers a message carries, normalised, highest priority first. `previousId` of an
    /// alias is not here: its kind depends on what is already known (see ``IdentityResolver``).
    public func identifiers(of message: IngestMessage) -> [IdentityKey] {
        var keys: [IdentityKey] = []
        func add(_ kind: String, _ value: JSONValue?) {
            guard let raw = value.flatMap(Self.scalarString), let v = normalize(raw, kind: kind) else { return }
            let key = IdentityKey(kind, v)
            if !keys.contains(key) { keys.append(key) }
        }
        if let user = message.userID { add("user_id", .string(user)) }
        if let anonymous = message.anonymousID { add("anonymous_id", .string(anonymous)) }
        let traits = message.type == .identify ? message.payload : [:]
        let contextTraits = message.context["traits"]?.objectValue ?? [:]
        for kind in kinds where kind.name != "user_id" && kind.name != "anonymous_id" {
            add(kind.name, traits[kind.name])
            add(kind.name, contextTraits[kind.name])
        }
        if case .array(let external)? = message.context["externalIds"] {
            for item in external {
                if let kind = item["type"]?.stringValue, byName[kind] != nil { add(kind, item["id"]) }
            }
        }
        return keys.sorted { (byName[$0.kind]!.priority, $0.value) < (byName[$1.kind]!.priority, $1.value) }
    }

    static func scalarString(_ value: JSONValue) -> String? {
        switch value {
        case .string(let s): return s
        case .number(let n): return n
        default: return nil
        }
    }
}

extension String {
    func trimmed() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
