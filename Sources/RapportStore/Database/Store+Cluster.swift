import Foundation
import PostgresNIO

/// What Rapport's database is: one PostgreSQL server, or the coordinator of a Citus cluster
/// whose workers hold the tenants (Citus schema-based sharding: each tenant schema lives whole
/// on one worker).
public struct ClusterInfo: Sendable, Equatable, Encodable {
    /// The PostgreSQL version, `15.20`.
    public var postgres: String
    /// The Citus version when the extension is installed in this database, `13.2.2`.
    public var citus: String?
    /// The workers (active primary nodes that are not the coordinator), `host:port`.
    public var workers: [String]

    /// `PostgreSQL 15.20` or `PostgreSQL 15.20 with Citus 13.2.2 (2 workers)`.
    public var summary: String {
        describe(postgres: postgres, citus: citus)
    }

    /// The same with major versions only (`PostgreSQL 15 with Citus 13.2 (2 workers)`), for
    /// `/readyz`, which answers anyone: no exact version to match against known flaws.
    public var publicSummary: String {
        describe(postgres: postgres.split(separator: ".").first.map(String.init) ?? postgres,
                 citus: citus.map { $0.split(separator: ".").prefix(2).joined(separator: ".") })
    }

    private func describe(postgres: String, citus: String?) -> String {
        guard let citus else { return "PostgreSQL \(postgres)" }
        return "PostgreSQL \(postgres) with Citus \(citus) (\(workers.count) worker\(workers.count == 1 ? "" : "s"))"
    }
}

/// Whether the store's database has Citus, learned once per process (a cluster does not gain
/// or lose the extension under a running Rapport; the next process looks again).
final class ClusterFacts: @unchecked Sendable {
    private let lock = NSLock()
    private var citus: Bool?

    var known: Bool? { lock.withLock { citus } }
    func remember(citus: Bool) { lock.withLock { self.citus = citus } }
}

extension Store {
    /// The group role every tenant role is a member of: it holds no rights, and lets a Citus
    /// worker's `pg_hba.conf` admit tenant roles from the coordinator alone (see the README's
    /// scale-out section).
    public static let tenantGroupRole = "rapport_tenants"

    /// Whether the database has the Citus extension (asked once, then remembered).
    public func hasCitus() async throws -> Bool {
        if let known = clusterFacts.known { return known }
        return try await client.withConnection { try await hasCitus(on: $0) }
    }

    func hasCitus(on connection: PostgresConnection) async throws -> Bool {
        if let known = clusterFacts.known { return known }
        let rows = try await connection.query("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')", logger: logger)
        var present = false
        for try await value in rows.decode(Bool.self) { present = value }
        clusterFacts.remember(citus: present)
        return present
    }

    /// The server's version, and Citus's with its workers when it is there.
    public func clusterInfo() async throws -> ClusterInfo {
        do {
            return try await client.withConnection { connection in
                var info = ClusterInfo(postgres: "", citus: nil, workers: [])
                let version = try await connection.query("SELECT current_setting('server_version')", logger: logger)
                for try await text in version.decode(String.self) {
                    info.postgres = String(text.prefix { $0 != " " })
                }
                guard try await hasCitus(on: connection) else { return info }
                // citus_version() reads "Citus 13.2.2 on x86_64-pc-linux-gnu, compiled by …".
                let citus = try await connection.query("SELECT split_part(citus_version(), ' ', 2)", logger: logger)
                for try await text in citus.decode(String.self) { info.citus = text }
                let workers = try await connection.query("""
                    SELECT nodename, nodeport FROM pg_dist_node
                    WHERE groupid <> 0 AND noderole = 'primary' AND isactive ORDER BY nodename, nodeport
                    """, logger: logger)
                for try await (host, port) in workers.decode((String, Int).self) { info.workers.append("\(host):\(port)") }
                return info
            }
        } catch {
            throw StoreError.wrap(error, "Could not read what the database server is.")
        }
    }
}
