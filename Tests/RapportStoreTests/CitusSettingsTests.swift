import Foundation
import Logging
import NIOPosix
import PostgresNIO
import RapportTestSupport
import Testing
@testable import RapportStore

/// On a Citus coordinator (RAPPORT_TEST_CITUS_URL, a superuser URL of it; the end-to-end suite
/// is Tests/python/citus): what Rapport sets for a tenant's transaction reaches the worker that
/// runs the tenant's query, and the store knows what it talks to.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["RAPPORT_TEST_CITUS_URL"] != nil,
                "RAPPORT_TEST_CITUS_URL is not set: no Citus coordinator to test against"))
struct CitusSettingsTests {
    @Test func aTenantQuerysSettingsReachTheWorker() async throws {
        let superuser = try DatabaseURL(ProcessInfo.processInfo.environment["RAPPORT_TEST_CITUS_URL"] ?? "")
        let database = "rapport_citus_swift_" + UUID().uuidString.prefix(6).lowercased()
        let setup = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/citus-setup").path
        var environment = ProcessInfo.processInfo.environment
        environment["PGUSER"] = superuser.username
        environment["PGPASSWORD"] = superuser.password ?? ""
        let prepared = try await ChildProcess.run(setup, ["--coordinator", "\(superuser.host):\(superuser.port)", "--database", database,
                                                  "--password", "rapport"], environment: environment)
        try #require(prepared.succeeded, "\(prepared.output)")
        let url = try DatabaseURL("postgres://rapport:rapport@\(superuser.host):\(superuser.port)/\(database)")

        // Dropped everywhere whatever happens (a defer cannot await).
        do {
            let logger = Logger(label: "citus-test")
            try await Store.withRunningStore(url.clientConfiguration, logger: logger, migrate: true) { store in
                #expect(try await store.hasCitus())
                let cluster = try await store.clusterInfo()
                #expect(cluster.citus?.isEmpty == false)
                #expect(cluster.workers.count >= 2)
                let tenant = try await store.createTenant(slug: "settings_" + UUID().uuidString.prefix(6).lowercased(), name: nil, actor: "test")
                let (workMem, timeout, jit, port) = try await store.withTenant(tenant) { connection in
                    try await connection.query("INSERT INTO profiles DEFAULT VALUES", logger: logger)
                    try await connection.query("SET LOCAL statement_timeout = 4321", logger: logger)
                    try await Store.prepareForQueries(connection, logger: logger)
                    // A query on the tenant's table runs whole on its worker: what it reads there is the worker's setting.
                    let rows = try await connection.query("""
                        SELECT current_setting('work_mem'), current_setting('statement_timeout'), current_setting('jit'), inet_server_port()
                        FROM profiles LIMIT 1
                        """, logger: logger)
                    var found = ("", "", "", 0)
                    for try await row in rows.decode((String, String, String, Int).self) { found = row }
                    return found
                }
                #expect(workMem == "64MB")
                #expect(timeout == "4321ms")
                #expect(jit == "off")
                #expect(port != superuser.port, "the query ran on the coordinator")
                let placement = try await store.tenantOverview().first { $0.tenant.id == tenant.id }
                #expect(placement?.node == cluster.workers.first { $0.hasSuffix(":\(port)") })
                try await store.deleteTenant(slug: tenant.slug, actor: "test")
            }
        } catch {
            await dropEverywhere(database, superuser: superuser)
            throw error
        }
        await dropEverywhere(database, superuser: superuser)
    }

    /// Drops the test's database on every node (best effort).
    func dropEverywhere(_ database: String, superuser: DatabaseURL) async {
        var environment = ProcessInfo.processInfo.environment
        environment["PGPASSWORD"] = superuser.password ?? ""
        let nodes = await Subprocess.runQuiet("psql", ["-qAtX", "-h", superuser.host, "-p", "\(superuser.port)", "-U", superuser.username,
                                                 "-d", superuser.database, "-c",
                                                 "SELECT nodename || ':' || nodeport FROM pg_dist_node WHERE groupid <> 0"], environment)
        for node in nodes.split(separator: "\n").map(String.init) + ["\(superuser.host):\(superuser.port)"] {
            let parts = String(node).split(separator: ":").map(String.init)
            _ = await Subprocess.runQuiet("psql", ["-qAtX", "-h", parts[0], "-p", parts[1], "-U", superuser.username,
                                             "-d", "postgres", "-c", "DROP DATABASE IF EXISTS \(database) WITH (FORCE)"], environment)
        }
    }
}

extension Subprocess {
    /// The output of `program` found on PATH, or "" when it fails.
    static func runQuiet(_ program: String, _ arguments: [String], _ environment: [String: String]) async -> String {
        guard let result = try? await ChildProcess.run("/usr/bin/env", [program] + arguments, environment: environment), result.succeeded else { return "" }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
