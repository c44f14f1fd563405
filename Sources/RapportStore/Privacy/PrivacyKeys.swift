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
public struct IdentifierHasher: Sendable {
    let secret: Data

    public init(secret: Data) { self.secret = secret }

    public func hash(kind: String, value: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(kind):\(value)".utf8), using: SymmetricKey(data: secret))
        return mac.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
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
