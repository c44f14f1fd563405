import Foundation
import RapportStore
import RapportTestSupport
import Testing

/// The real `rapport repl` in a pseudo-terminal (Python's pexpect), against a real server:
/// multi-line input, tab completion, the table on screen, history, Ctrl-C during a slow
/// query, a diagnostic with its caret, and Ctrl-D (Tests/python/repl_e2e.py).
@Suite(.enabled(if: TestDatabase.isConfigured && ProcessInfo.processInfo.environment["RAPPORT_TEST_PYTHON"] != nil,
                "needs scripts/test's PostgreSQL and Python environment"))
struct ReplTerminalTests {
    @Test func aPersonAtTheTerminal() async throws {
        let database = try await TestDatabase.create()
        let url = "postgres://\(database.url.username)@/\(database.url.database)?host=\(database.url.host)&port=\(database.url.port)"
        let tenant = try await Store.withStore(.url(database.url), logger: TestDatabase.logger) { store in
            try await QuerySeed.seed(store)
        }
        // The slow query is made slow by a lock the script takes through psql before it asks
        // (its data answers any question in milliseconds, and the summaries answer the value
        // chain's slowest parts): Ctrl-C lands while the query waits, whatever the machine.
        let schema = "t_" + tenant.slug
        let su = database.superuserURL
        let lockURL = "postgres://\(su.username)@/\(su.database)?host=\(su.host)&port=\(su.port)"
        let psql = (ProcessInfo.processInfo.environment["RAPPORT_TEST_PG_BINDIR"] ?? "/usr/bin") + "/psql"
        let key = try await RapportBinary.run(["keys", "create", "--tenant", tenant.slug, "--scopes", "query", "--database-url", url])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try RunningServer.start(["--database-url", url])
        defer { server.stopInTheBackground() }
        try await server.waitUntilReady()

        let python = ProcessInfo.processInfo.environment["RAPPORT_TEST_PYTHON"]!
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("python/repl_e2e.py").path
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("repl-home-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        let run = try await ChildProcess.run(python, [script, RapportBinary.path, server.url, key, tenant.slug,
                                              home.appendingPathComponent(".rapport_history").path, psql, lockURL, schema])
        #expect(run.succeeded, "\(run.output)\n\(server.log)")
        // The cancelled query was cancelled in PostgreSQL, not left running.
        let running = try await database.superuserRows(
            "SELECT count(*)::text FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%value proposition%' AND pid <> pg_backend_pid()")
        #expect(running == [["0"]])
    }
}
