import Crypto
import Foundation

/// What a key may do.
public enum Scope: String, Sendable, Codable, CaseIterable, Comparable {
    /// Send data (the Segment-compatible API, imports).
    case ingest
    /// Ask questions in RQL, read profiles and segments.
    case query
    /// File and read GDPR requests.
    case privacy
    /// Manage the tenant's keys and settings.
    case admin

    public static func < (a: Scope, b: Scope) -> Bool { a.rawValue < b.rawValue }

    /// Parses a comma-separated list such as `ingest,query`.
    /// - Throws: ``StoreError/invalidScopes(_:)`` naming the unknown ones.
    public static func parse(_ list: [String]) throws -> [Scope] {
        let names = list.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        let unknown = names.filter { Scope(rawValue: $0) == nil }
        guard unknown.isEmpty else { throw StoreError.invalidScopes(unknown) }
        guard !names.isEmpty else { throw StoreError.invalidInput("A key needs at least one scope: \(Scope.allCases.map(\.rawValue).joined(separator: ", ")).") }
        return Array(Set(names.compactMap(Scope.init))).sorted()
    }
}

/// A key as listed: everything but the secret, which is never stored.
public struct APIKeyInfo: Sendable, Codable, Equatable {
    /// The public part of the key, shown in listings and used to revoke it.
    public var id: String
    public var tenant: String
    public var scopes: [Scope]
    /// The source name events sent with this key are attributed to.
    public var source: String?
    public var name: String?
    public var createdAt: Date
    public var revokedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, tenant, scopes, source, name
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
    }
}

/// A newly created key: the only moment its secret is known.
public struct CreatedKey: Sendable, Codable {
    /// The whole key, `rapport_<id>_<secret>`.
    public var key: String
    public var info: APIKeyInfo
}

/// A key that authenticated a request.
public struct AuthenticatedKey: Sendable, Equatable {
    public var id: String
    public var tenant: Tenant
    public var scopes: Set<Scope>
    public var source: String?
}

/// The key format: `rapport_` + a 10-character id + `_` + a 40-character secret (about 238 random bits).
/// Only the SHA-256 of the whole key is stored; the key's entropy makes a slow hash unnecessary.
public enum APIKeyFormat {
    public static let prefix = "rapport_"
    static let idAlphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")
    static let secretAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    /// A fresh key and its id.
    public static func generate() -> (key: String, id: String) {
        var rng = SystemRandomNumberGenerator()
        let id = String((0..<10).map { _ in idAlphabet.randomElement(using: &rng)! })
        let secret = String((0..<40).map { _ in secretAlphabet.randomElement(using: &rng)! })
        return (prefix + id + "_" + secret, id)
    }

    /// The stored hash of `key`.
    public static func hash(_ key: String) -> Data {
        Data(SHA256.hash(data: Data(key.utf8)))
    }

    /// Whether `text` has the shape of a key (cheap check before touching the database).
    public static func looksLikeKey(_ text: String) -> Bool {
        text.hasPrefix(prefix) && text.utf8.count == prefix.utf8.count + 10 + 1 + 40
    }
}
