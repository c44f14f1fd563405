import Crypto
import Foundation
import PostgresNIO

/// Each tenant's secret for keyed hashes of identifiers, read once per process.
actor PrivacyKeys {
    private var keys: [Int64: Data] = [:]

    func key(_ tenant: Int64) -> Data? { keys[tenant] }
    func set(_ key: Data, tenant: Int64) { keys[tenant] = key }
}

/// The keyed hash that stands for an identifier wherever Rapport must recognise it without
/// holding it: HMAC-SHA256 of `kind:value` (value normalised) under the tenant's secret.
public struct IdentifierHasher: @unchecked Sendable {
    /// Immutable once made, so safe to share.
    let key: SymmetricKey

    public init(secret: Data) { self.key = SymmetricKey(data: secret) }

    private static let digits = Array("0123456789abcdef".utf8)

    public func hash(kind: String, value: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(kind):\(value)".utf8), using: key)
        var hex = [UInt8]()
        hex.reserveCapacity(64)
        for byte in mac {
            hex.append(Self.digits[Int(byte >> 4)])
            hex.append(Self.digits[Int(byte & 15)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    public func hash(_ key: IdentityKey) -> String { hash(kind: key.kind, value: key.value) }
}

extension Store {
    /// The tenant's hasher; its secret is made (32 random bytes) the first time any process asks.
    public func identifierHasher(_ tenant: Tenant) async throws -> IdentifierHasher {
        if let secret = await privacyKeys.key(tenant.id) { return IdentifierHasher(secret: secret) }
        let fresh = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        let rows = try await client.query("""
            UPDATE rapport.tenants SET privacy_key = coalesce(privacy_key, \(fresh)) WHERE id = \(tenant.id) RETURNING privacy_key
            """, logger: logger)
        for try await stored in rows.decode(Data.self) {
            await privacyKeys.set(stored, tenant: tenant.id)
            return IdentifierHasher(secret: stored)
        }
        throw StoreError.tenantNotFound(tenant.slug)
    }
}

/// Each tenant's suppressed hashes, as this process last read them, with the ingestion epoch
/// they were read at. Every change to `suppressions` (erasure, suppress, unsuppress) advances
/// the epoch under the ingestion lock, so a set is used only while the epoch a batch finds is
/// the one this process left; otherwise the batch reads the set again.
final class SuppressionCache: @unchecked Sendable {
    private let lock = NSLock()
    private var tenants: [Int64: (epoch: Int64, hashes: Set<String>)] = [:]

    /// The tenant's set if it was read at `epoch`.
    func take(tenant: Int64, epoch: Int64) -> Set<String>? {
        lock.withLock { tenants[tenant].flatMap { $0.epoch == epoch ? $0.hashes : nil } }
    }

    func put(_ hashes: Set<String>, tenant: Int64, epoch: Int64) {
        lock.withLock { tenants[tenant] = (epoch, hashes) }
    }
}
