import Crypto
import Foundation

/// One forward-only SQL migration file, `NNNN_name.sql`.
public struct Migration: Sendable, Equatable {
    /// Which schema a migration belongs to: the shared control schema or each tenant's.
    public enum Scope: String, Sendable {
        case control, tenant
    }

    public let scope: Scope
    /// The leading number of the file name; migrations apply in this order.
    public let version: Int
    /// The file name, such as `0001_tenants.sql`.
    public let name: String
    public let sql: String
    /// Hex SHA-256 of the file's bytes, recorded when applied.
    public let checksum: String
    /// Checksums of earlier texts of this file that an installation may have applied and that
    /// are accepted as this one: only for a file corrected after it shipped, listed in
    /// `Migration.corrections` with why.
    public var acceptedChecksums: Set<String> { Set([checksum]).union(Self.corrections["\(scope.rawValue)/\(name)"] ?? []) }

    /// Files corrected after they shipped, each with the checksums of its earlier texts. A
    /// correction must leave a schema it migrates exactly as the earlier text did.
    static let corrections: [String: Set<String>] = [
        // An INSERT ... SELECT ... GROUP BY that Citus 13.2 sends to the worker malformed (it adds
        // `( IS NOT NULL)`, a shard key test, for a tenant's tables, which have no shard key), so
        // no tenant could be made on Citus; the same copy, through a materialized CTE.
        "tenant/0009_activation_batches.sql": ["686c8239f7175860cb06712cfb6b946b322e5fe4c9b8c48a429f38a9fb9ea1f4"],
        // Likewise an INSERT ... SELECT FROM (subquery): whether the summaries start ready is
        // worked out first, in a materialized CTE.
        "tenant/0011_summaries.sql": ["ab6cca3ddf4f73f146ba41ff7dca122a0f420492658cbed18de366f6a892d9ab"],
    ]

    public init(scope: Scope, name: String, sql: String) throws {
        guard name.hasSuffix(".sql"), let number = name.split(separator: "_").first.flatMap({ Int($0) }) else {
            throw StoreError.migrationsInvalid("The migration file \(scope.rawValue)/\(name) must be named NNNN_description.sql.")
        }
        self.scope = scope
        self.version = number
        self.name = name
        self.sql = sql
        self.checksum = hex(SHA256.hash(data: Data(sql.utf8)))
    }

    /// The file split into single statements.
    public var statements: [String] { SQLScript.statements(in: sql) }
}

/// The control and tenant migrations, ordered by version.
public struct MigrationSet: Sendable {
    public let control: [Migration]
    public let tenant: [Migration]

    public init(control: [Migration], tenant: [Migration]) throws {
        self.control = try Self.ordered(control)
        self.tenant = try Self.ordered(tenant)
    }

    /// The migrations built into Rapport (the repository's `Migrations/` folder, embedded at build time).
    public static func bundled() throws -> MigrationSet {
        let files = try EmbeddedMigrations.files.map { file in
            guard let scope = Migration.Scope(rawValue: file.scope) else {
                throw StoreError.migrationsInvalid("The migration \(file.scope)/\(file.name) is in neither control/ nor tenant/.")
            }
            return try Migration(scope: scope, name: file.name, sql: file.sql)
        }
        return try MigrationSet(control: files.filter { $0.scope == .control }, tenant: files.filter { $0.scope == .tenant })
    }

    /// Reads `control/*.sql` and `tenant/*.sql` under `directory`.
    public static func load(from directory: URL) throws -> MigrationSet {
        func read(_ scope: Migration.Scope) throws -> [Migration] {
            let folder = directory.appendingPathComponent(scope.rawValue)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            return try names.filter { $0.hasSuffix(".sql") }.map { name in
                try Migration(scope: scope, name: name, sql: String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8))
            }
        }
        return try MigrationSet(control: read(.control), tenant: read(.tenant))
    }

    private static func ordered(_ migrations: [Migration]) throws -> [Migration] {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.version == b.version {
            throw StoreError.migrationsInvalid("The migrations \(a.name) and \(b.name) share the number \(a.version).")
        }
        return sorted
    }
}

/// Lowercase hexadecimal of `bytes`.
func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
    return String(decoding: out, as: UTF8.self)
}
