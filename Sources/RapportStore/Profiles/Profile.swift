import Foundation

/// A unified profile as the API shows it.
public struct Profile: Sendable, Codable, Equatable {
    public var id: Int64
    public var traits: [String: TraitValue]
    public var identities: [IdentityRecord]
    public var groups: [String]
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, traits, identities, groups
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

/// A trait's value with its provenance: which source set it, and when.
public struct TraitValue: Sendable, Codable, Equatable {
    /// The value as JSON text.
    public var value: RawJSON
    public var source: String?
    public var at: Date?
}

/// JSON text that encodes as itself.
public struct RawJSON: Sendable, Codable, Equatable {
    public var text: String
    public init(_ text: String) { self.text = text }
    public var value: JSONValue? { try? JSONParser.parse(Array(text.utf8)) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(JSONCodableValue(value ?? .null))
    }

    public init(from decoder: any Decoder) throws {
        text = try decoder.singleValueContainer().decode(JSONCodableValue.self).value.jsonText
    }
}

/// A ``JSONValue`` through Codable.
struct JSONCodableValue: Codable {
    var value: JSONValue
    init(_ value: JSONValue) { self.value = value }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch value {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n):
            if let i = Int64(n) { try c.encode(i) } else { try c.encode(Double(n) ?? 0) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a.map(JSONCodableValue.init))
        case .object(let o): try c.encode(o.mapValues(JSONCodableValue.init))
        }
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { value = .null }
        else if let b = try? c.decode(Bool.self) { value = .bool(b) }
        else if let i = try? c.decode(Int64.self) { value = .number(String(i)) }
        else if let d = try? c.decode(Double.self) { value = .number(String(d)) }
        else if let s = try? c.decode(String.self) { value = .string(s) }
        else if let a = try? c.decode([JSONCodableValue].self) { value = .array(a.map(\.value)) }
        else { value = .object(try c.decode([String: JSONCodableValue].self).mapValues(\.value)) }
    }
}

/// One identifier of a profile, with how it got there.
public struct IdentityRecord: Sendable, Codable, Equatable {
    public var kind: String
    public var value: String
    public var source: String?
    public var firstSeen: Date
    public var lastSeen: Date
    /// The message that brought the identifier in.
    public var messageID: String?
    /// The profile it first joined (another one if it came through a merge).
    public var originProfileID: Int64?

    enum CodingKeys: String, CodingKey {
        case kind, value, source
        case firstSeen = "first_seen"
        case lastSeen = "last_seen"
        case messageID = "message_id"
        case originProfileID = "origin_profile_id"
    }
}

/// An event on a profile's timeline.
public struct TimelineEvent: Sendable, Codable, Equatable {
    public var messageID: String
    public var type: String
    public var name: String?
    public var ts: Date
    public var receivedAt: Date
    public var source: String?
    public var properties: RawJSON
    public var context: RawJSON

    enum CodingKeys: String, CodingKey {
        case type, name, ts, source, properties, context
        case messageID = "message_id"
        case receivedAt = "received_at"
    }
}

/// A page of a timeline; `nextCursor` fetches the next (older) page.
public struct TimelinePage: Sendable, Codable {
    public var events: [TimelineEvent]
    public var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case events
        case nextCursor = "next_cursor"
    }
}

/// One edge of the merge log.
public struct MergeRecord: Sendable, Codable, Equatable {
    public var id: Int64
    public var survivorID: Int64
    public var mergedID: Int64
    public var messageID: String?
    public var kind: String?
    public var value: String?
    public var reason: String
    public var at: Date
    public var undoneAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, kind, value, reason, at
        case survivorID = "survivor_id"
        case mergedID = "merged_id"
        case messageID = "message_id"
        case undoneAt = "undone_at"
    }
}

/// An identifier that was left out of a profile, and why.
public struct ConflictRecord: Sendable, Codable, Equatable {
    public var messageID: String
    public var kind: String
    public var value: String
    public var otherProfileID: Int64?
    public var reason: String
    public var at: Date

    enum CodingKeys: String, CodingKey {
        case kind, value, reason, at
        case messageID = "message_id"
        case otherProfileID = "other_profile_id"
    }
}

/// Why a profile holds what it holds: its identifiers with the messages that brought them,
/// every merge into it (directly or through a merged profile), and identifiers left out.
public struct IdentityGraph: Sendable, Codable {
    public var profileID: Int64
    /// The profile and every profile merged into it.
    public var members: [Int64]
    public var identities: [IdentityRecord]
    public var merges: [MergeRecord]
    public var conflicts: [ConflictRecord]

    enum CodingKeys: String, CodingKey {
        case members, identities, merges, conflicts
        case profileID = "profile_id"
    }
}

/// Where a profile id leads.
public enum ProfileLookup: Sendable {
    case found(Profile)
    /// The id was merged away into this live profile.
    case merged(into: Int64)
    case missing
}
