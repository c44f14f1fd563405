import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
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
        var server = try Server.start(folder: folder, port: port, demo: true)
        try await server.waitUntilReady()
        #expect(try await get(port, "/readyz").status == 200)
        let key = try server.firstLineOfOutput()
        #expect(APIKeyFormat.looksLikeKey(key))
        #expect(try await get(port, "/v1/whoami", key: key).body.contains("\"tenant\":\"demo\""))
        #expect(cluster.isRunning())
        #expect(server.stop() == 0)
        #expect(!cluster.isRunning(), "SIGTERM should stop the embedded PostgreSQL too")

        // Second run on the same folder: the tenant and key are still there.
        server = try Server.start(folder: folder, port: port, demo: false)
        try await server.waitUntilReady()
        #expect(try await get(port, "/v1/whoami", key: key).status == 200)
        // A second server on the same folder is refused, and leaves the first alone.
        let second = try RapportBinary.run(["serve", "--data-dir", folder, "--port", "\(port + 1)"])
        #expect(second.status != 0)
        #expect(second.stderr.contains("Another `rapport serve` is using the data folder"))
        #expect(try await get(port, "/readyz").status == 200)

        // A crash leaves the cluster running; the next start adopts it.
        server.kill()
        #expect(cluster.isRunning())
        server = try Server.start(folder: folder, port: port, demo: false)
        try await server.waitUntilReady()
        #expect(try await get(port, "/v1/whoami", key: key).status == 200)
        #expect(server.stop() == 0)
        #expect(!cluster.isRunning())
    }

    @Test func missingPostgresProgramsNameThePackage() throws {
        let result = try RapportBinary.run(["serve", "--data-dir", "/tmp/rapport-nopg"], environment: ["RAPPORT_PG_BINDIR": "/nonexistent"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("apt-get install -y postgresql"))
    }

    struct Server {
        let pid: pid_t
        let output: String
        let port: Int

        static func start(folder: String, port: Int, demo: Bool) throws -> Server {
            let output = "/tmp/rapport-serve-\(UUID().uuidString.prefix(8)).out"
            let args = ["-c", "exec \"$0\" \"$@\" >'\(output)' 2>'\(output).err'", RapportBinary.path,
                        "serve", "--data-dir", folder, "--port", "\(port)"] + (demo ? ["--demo"] : [])
            return Server(pid: try Subprocess.spawn("/bin/sh", args), output: output, port: port)
        }

        func waitUntilReady() async throws {
            for _ in 0..<240 {
                if (try? await get(port, "/readyz").status) == 200 { return }
                try await Task.sleep(for: .milliseconds(250))
            }
            let log = (try? String(contentsOfFile: output + ".err", encoding: .utf8)) ?? ""
            throw TestSetupError("rapport serve did not become ready:\n\(log)")
        }

        func firstLineOfOutput() throws -> String {
            let text = try String(contentsOfFile: output, encoding: .utf8)
            return String(text.split(separator: "\n").first ?? "")
        }

        /// SIGTERM, then the exit status.
        func stop() -> Int32 {
            Foundation.kill(pid, SIGTERM)
            return Subprocess.wait(pid)
        }

        func kill() {
            Foundation.kill(pid, SIGKILL)
            Subprocess.wait(pid)
        }
    }
}

/// A GET on loopback: the status and the body.
func get(_ port: Int, _ path: String, key: String? = nil) async throws -> (status: Int, body: String) {
    var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
    request.timeoutInterval = 5
    if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
}
