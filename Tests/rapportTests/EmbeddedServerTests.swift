import Foundation
import RapportStore
import RapportTestSupport
import Testing

/// `rapport serve` on the embedded default: it creates a cluster under its data folder,
/// serves, stops it on SIGTERM, and starts again on the same folder, also after a crash.
let canRunPostgres = (try? EmbeddedPostgres(dataDirectory: "/tmp/unused")) != nil

@Suite(.serialized, .enabled(if: canRunPostgres, "needs PostgreSQL's server programs"))
struct EmbeddedServerTests {
    @Test func startsServesStopsAndStartsAgain() async throws {
        let folder = "/tmp/rapport-embedded-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let port = Int.random(in: 20_000..<40_000)
        let cluster = try EmbeddedPostgres(dataDirectory: folder)
        defer { try? cluster.stop(logger: TestDatabase.logger) }

        // First run: creates the cluster and a demo tenant.
        var server = try RunningServer.start(["--data-dir", folder, "--demo"], port: port)
        try await server.waitUntilReady()
        #expect(try await httpGet(port, "/readyz").status == 200)
        let key = try server.firstLineOfOutput()
        #expect(APIKeyFormat.looksLikeKey(key))
        #expect(try await httpGet(port, "/v1/whoami", key: key).body.contains("\"tenant\":\"demo\""))
        #expect(cluster.isRunning())
        // Nothing ran before the fresh database was migrated (the privacy worker used to, and logged errors).
        try await Task.sleep(for: .seconds(1))
        #expect(!server.log.contains(" error "), "\(server.log)")
        #expect(await server.stop() == 0)
        #expect(!cluster.isRunning(), "SIGTERM should stop the embedded PostgreSQL too")

        // Second run on the same folder, as the tour's operator-API step restarts it: the tenant
        // is still there, the first key still works beside the fresh one, and the log says the
        // operator API is on.
        server = try RunningServer.start(["--data-dir", folder, "--demo"], port: port, environment: ["RAPPORT_ADMIN_KEY": "op-secret"])
        try await server.waitUntilReady()
        #expect(try await httpGet(port, "/v1/whoami", key: key).status == 200)
        let fresh = try server.firstLineOfOutput()
        #expect(fresh != key && APIKeyFormat.looksLikeKey(fresh))
        #expect(try await httpGet(port, "/v1/whoami", key: fresh).status == 200)
        #expect(server.log.contains("the operator API is on at http://127.0.0.1:\(port)/admin/v1"), "\(server.log)")
        // A second server on the same folder is refused, and leaves the first alone.
        let second = try await RapportBinary.run(["serve", "--data-dir", folder, "--port", "\(port + 1)"])
        #expect(second.status != 0)
        #expect(second.stderr.contains("Another `rapport serve` is using the data folder"))
        #expect(try await httpGet(port, "/readyz").status == 200)

        // A crash leaves the cluster running; the next start adopts it.
        await server.crash()
        #expect(cluster.isRunning())
        server = try RunningServer.start(["--data-dir", folder], port: port)
        try await server.waitUntilReady()
        #expect(try await httpGet(port, "/v1/whoami", key: key).status == 200)
        #expect(await server.stop() == 0)
        #expect(!cluster.isRunning())
    }

    @Test func missingPostgresProgramsNameThePackage() async throws {
        let result = try await RapportBinary.run(["serve", "--data-dir", "/tmp/rapport-nopg"], environment: ["RAPPORT_PG_BINDIR": "/nonexistent"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("apt-get install -y postgresql"))
    }
}
