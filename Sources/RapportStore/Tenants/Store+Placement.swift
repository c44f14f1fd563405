import Foundation
import PostgresNIO

/// A tenant as an operator sees it: its state, where it lives and how big it is.
public struct TenantOverview: Sendable, Encodable {
    public var tenant: Tenant
    public var state: TenantState
    /// On Citus, the worker that holds the tenant's schema (`host:port`); nil on one server, or
    /// for a schema made before Citus was installed and never distributed.
    public var node: String?
    /// Bytes of the tenant's tables with their indexes, on whichever node holds them; nil for
    /// a tenant that is not `ready`.
    public var bytes: Int64?
    /// Where the tenant's per-profile summaries stand (ready, or a rebuild's progress); nil for
    /// a tenant that is not `ready`.
    public var summaries: SummaryStatus?

    /// As a ``Tenant`` (the fields `tenants list --json` always had) with `state`, `node`,
    /// `bytes` and `summaries` beside.
    public func encode(to encoder: any Encoder) throws {
        try tenant.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(state, forKey: .state)
        try container.encode(node, forKey: .node)
        try container.encode(bytes, forKey: .bytes)
        try container.encode(summaries, forKey: .summaries)
    }

    enum CodingKeys: String, CodingKey { case state, node, bytes, summaries }
}

/// How far a move has got: bytes copied to the target of the bytes the tenant holds.
public struct MoveProgress: Sendable, Equatable {
    public var copied: Int64
    public var total: Int64
}

extension Store {
    /// Every tenant with its state, node and size, by slug.
    public func tenantOverview() async throws -> [TenantOverview] {
        do {
            let citus = try await hasCitus()
            let rows = try await client.query(
                "SELECT id, slug, name, created_at, state FROM rapport.tenants ORDER BY slug", logger: logger)
            var overview: [TenantOverview] = []
            for try await (id, slug, name, createdAt, state) in rows.decode((Int64, String, String, Date, String).self) {
                overview.append(TenantOverview(tenant: Tenant(id: id, slug: slug, name: name, createdAt: createdAt),
                                               state: TenantState(rawValue: state) ?? .ready))
            }
            for index in overview.indices where overview[index].state == .ready {
                let tenant = overview[index].tenant
                if citus { overview[index].node = try await node(of: tenant) }
                do {
                    overview[index].bytes = try await size(of: tenant, distributed: overview[index].node != nil)
                    overview[index].summaries = try await summaryStatus(tenant: tenant)
                } catch {
                    // One tenant out of reach (a worker down) leaves the others listed.
                    logger.warning("a tenant's size or summaries could not be read", metadata: [
                        "tenant": "\(tenant.slug)", "error": "\(StoreError.databaseCause(error))"])
                }
            }
            return overview
        } catch {
            throw StoreError.wrap(error, "Could not list the tenants.")
        }
    }

    /// The worker that holds `tenant`'s schema, from Citus's metadata (which any role may read).
    func node(of tenant: Tenant) async throws -> String? {
        let rows = try await client.query("""
            SELECT n.nodename, n.nodeport
            FROM pg_dist_partition p
            JOIN pg_class c ON c.oid = p.logicalrelid
            JOIN pg_namespace ns ON ns.oid = c.relnamespace
            JOIN pg_dist_shard s ON s.logicalrelid = p.logicalrelid
            JOIN pg_dist_placement pl ON pl.shardid = s.shardid
            JOIN pg_dist_node n ON n.groupid = pl.groupid AND n.noderole = 'primary'
            WHERE ns.nspname = \(tenant.schema)
            ORDER BY c.relname LIMIT 1
            """, logger: logger)
        for try await (host, port) in rows.decode((String, Int).self) { return "\(host):\(port)" }
        return nil
    }

    /// The size of `tenant`'s tables and indexes, read as the tenant (sizes need its rights); on
    /// Citus from the worker that holds them.
    func size(of tenant: Tenant, distributed: Bool) async throws -> Int64 {
        let sizeFunction = distributed ? "citus_total_relation_size" : "pg_total_relation_size"
        return try await withTenant(tenant, readOnly: true) { connection in
            let rows = try await connection.query(PostgresQuery(unsafeSQL: """
                SELECT coalesce(sum(\(sizeFunction)(c.oid)), 0)::bigint FROM pg_class c
                WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'm')
                """), logger: logger)
            var bytes: Int64 = 0
            for try await value in rows.decode(Int64.self) { bytes = value }
            return bytes
        }
    }

    /// Moves a tenant's schema, whole, to another Citus worker (`citus_schema_move`, run as the
    /// tenant, who owns it). Writes to the tenant wait while the move ends; nothing is lost.
    /// `progress` hears, about every second, how much has been copied.
    /// - Parameter node: `HOST:PORT` of a worker, as `pg_dist_node` names it.
    public func moveTenant(slug: String, to node: String, progress: @escaping @Sendable (MoveProgress) -> Void = { _ in }) async throws {
        do {
            try await moveTenantOnce(slug: slug, to: node, progress: progress)
        } catch {
            throw StoreError.wrap(error, "The tenant `\(slug)` could not be moved to \(node); `rapport tenants list` says where it is.")
        }
    }

    private func moveTenantOnce(slug: String, to node: String, progress: @escaping @Sendable (MoveProgress) -> Void) async throws {
        guard try await hasCitus() else {
            throw StoreError.invalidInput("Moving a tenant needs Citus; this database is one PostgreSQL server.")
        }
        guard let tenant = try await tenant(slug: slug) else { throw StoreError.tenantNotFound(slug) }
        let workers = try await clusterInfo().workers
        guard workers.contains(node), let colon = node.lastIndex(of: ":"), let port = Int(node[node.index(after: colon)...]) else {
            throw StoreError.invalidInput("`\(node)` is not a worker of this cluster; the workers are \(workers.joined(separator: ", ")).")
        }
        let host = String(node[..<colon])
        let from = try await self.node(of: tenant)
        guard let from else {
            throw StoreError.invalidInput("The tenant `\(slug)` is not distributed, so it cannot move; see the README's scale-out section.")
        }
        guard from != node else { throw StoreError.invalidInput("The tenant `\(slug)` is on \(node) already.") }
        let total = try await size(of: tenant, distributed: true)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(1))
                    if let copied = try? await copiedBytes(schema: tenant.schema) {
                        progress(MoveProgress(copied: copied, total: total))
                    }
                }
            }
            defer { group.cancelAll() }
            // As the tenant, who owns the schema, but without enterTenant's propagated SET LOCAL:
            // the move's own connection to the coordinator must keep the login role.
            try await withTransaction { connection in
                try await connection.query("SET LOCAL ROLE \(unescaped: quoteIdentifier(tenant.role))", logger: logger)
                let moved = try await connection.query(
                    "SELECT citus_schema_move(\(tenant.schema)::regnamespace, \(host), \(Int32(port)))", logger: logger)
                for try await _ in moved {}
            }
        }
        logger.notice("moved a tenant", metadata: ["tenant": "\(slug)", "from": "\(from)", "to": "\(node)"])
        progress(MoveProgress(copied: total, total: total))
    }

    /// Bytes already on the target of a running move of `schema` (Citus's `get_rebalance_progress`).
    func copiedBytes(schema: String) async throws -> Int64 {
        let rows = try await client.query("""
            SELECT coalesce(sum(target_shard_size), 0)::bigint FROM get_rebalance_progress()
            WHERE starts_with(table_name::text, \(schema + "."))
            """, logger: logger)
        var copied: Int64 = 0
        for try await value in rows.decode(Int64.self) { copied = value }
        return copied
    }
}
