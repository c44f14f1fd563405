import Foundation
import Logging
import PostgresNIO

/// Rapport's PostgreSQL storage: the control schema `rapport` (tenants, keys, audit log,
/// migration ledger) and one schema per tenant.
///
/// The store never runs tenant-scoped SQL outside ``withTenant(_:readOnly:_:)``, which sets
/// the tenant's role and search path for the transaction, so a bug elsewhere cannot read
/// another tenant's rows.
public struct Store: Sendable {
    /// The connection pool; its `run()` must be running while the store is used.
    public let client: PostgresClient
    public let migrations: MigrationSet
    public let logger: Logger
    /// Identifiers this process has seen, per tenant, at most ``identityCacheCapacity`` in all
    /// (see ``IdentityCache``).
    let identityCache: IdentityCache
    let catalogueCache = CatalogueCache()
    /// Queries running under a caller's id, so that they can be cancelled.
    let runningQueries = RunningQueries()
    /// Each tenant's secret for keyed hashes of identifiers.
    let privacyKeys = PrivacyKeys()
    /// Each tenant's suppressed identifiers (keyed hashes), valid for one ingestion epoch.
    let suppressionCache = SuppressionCache()
    /// Whether the database is a Citus coordinator.
    let clusterFacts = ClusterFacts()

    /// - Parameter identityCacheCapacity: the most identifiers this process keeps in memory over
    ///   all tenants (default 1,000,000, about 200 MB); the least recently used tenant's go first.
    public init(client: PostgresClient, migrations: MigrationSet, logger: Logger,
                identityCacheCapacity: Int = IdentityCache.defaultCapacity) {
        self.client = client
        self.migrations = migrations
        self.logger = logger
        self.identityCache = IdentityCache(capacity: identityCacheCapacity)
    }

    /// The most names (events, traits, properties, each with its types) a tenant's catalogue
    /// holds; past it new names are stored in the events but cannot be queried by name.
    public static let maxCatalogueEntries = 10_000

    /// How many identifiers the identity cache holds now, over all tenants (`/metrics`).
    public var identityCacheEntries: Int { identityCache.entries }

    /// Runs `body` in a transaction on one pooled connection.
    @discardableResult
    public func withTransaction<R: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> R) async throws -> R {
        let logger = self.logger
        return try await client.withConnection { try await Self.inTransaction(on: $0, logger: logger, body) }
    }

    /// Runs `body` in a transaction confined to `tenant`: `SET LOCAL ROLE` to the tenant's role and
    /// `SET LOCAL search_path` to its schema, optionally read-only.
    @discardableResult
    public func withTenant<R: Sendable>(
        _ tenant: Tenant, readOnly: Bool = false, _ body: @Sendable (PostgresConnection) async throws -> R
    ) async throws -> R {
        try await withTransaction { connection in
            if readOnly { try await connection.query("SET TRANSACTION READ ONLY", logger: logger) }
            try await enterTenant(tenant, on: connection)
            return try await body(connection)
        }
    }

    /// Confines the rest of the transaction to `tenant`. On Citus, first asks that every later
    /// `SET LOCAL` (work_mem, jit, statement_timeout) also reach the worker that holds the tenant;
    /// otherwise the query would run there with the worker's defaults.
    func enterTenant(_ tenant: Tenant, on connection: PostgresConnection) async throws {
        if try await hasCitus(on: connection) {
            try await connection.query("SET LOCAL citus.propagate_set_commands = 'local'", logger: logger)
        }
        // Both names come from a validated slug and are quoted.
        try await connection.query("SET LOCAL ROLE \(unescaped: quoteIdentifier(tenant.role))", logger: logger)
        try await connection.query("SET LOCAL search_path TO \(unescaped: quoteIdentifier(tenant.schema))", logger: logger)
    }

    /// Whether the database answers.
    public func ping() async -> Bool {
        do {
            try await client.query("SELECT 1", logger: logger)
            return true
        } catch {
            return false
        }
    }
}

/// `name` as a quoted SQL identifier.
public func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
