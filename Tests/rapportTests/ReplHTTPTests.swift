import AsyncHTTPClient
import Foundation
import RapportREPL
import RapportStore
import RapportTestSupport
import Testing

/// The REPL's HTTP side against a real server: results decode exactly, a lost server is a
/// clear message and the session carries on when the server is back, and a cancel by id
/// stops a query before it starts.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
struct ReplHTTPTests {
    @Test func aLostServerIsAMessageAndTheSessionGoesOn() async throws {
        let database = try await TestDatabase.create()
        let url = "postgres://\(database.url.username)@/\(database.url.database)?host=\(database.url.host)&port=\(database.url.port)"
        let tenant = try await Store.withStore(.url(database.url), logger: TestDatabase.logger) { store in
            try await QuerySeed.seed(store)
        }
        let key = try await RapportBinary.run(["keys", "create", "--tenant", tenant.slug, "--scopes", "query", "--database-url", url])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var server = try RunningServer.start(["--database-url", url])
        try await server.waitUntilReady()
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPBackend.clientConfiguration)
        do {
            try await exercise(client: client, server: &server, url: url, key: key, tenant: tenant, database: database)
        } catch {
            Issue.record(error)
        }
        // On every path: a client dropped without shutdown stops the process.
        try await client.shutdown()
        await server.stop()
    }

    /// `rapport repl --url` that cannot start says why in one sentence and exits 2 (64 for an
    /// address that is not a URL), never with the HTTP client's raw error.
    @Test func aServerThatCannotBeReachedIsOneSentence() async throws {
        let database = try await TestDatabase.create()
        let url = "postgres://\(database.url.username)@/\(database.url.database)?host=\(database.url.host)&port=\(database.url.port)"
        let tenant = try await Store.withStore(.url(database.url), logger: TestDatabase.logger) { store in
            try await store.createTenant(slug: "replstart", name: "Repl Start", actor: "test")
        }
        let key = try await RapportBinary.run(["keys", "create", "--tenant", tenant.slug, "--scopes", "query", "--database-url", url])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try RunningServer.start(["--database-url", url])
        defer { server.stopInTheBackground() }
        try await server.waitUntilReady()
        let free = try RunningServer.freePort()
        let host = "127.0.0.1:\(server.port)"
        let cases: [(url: String, key: String, status: Int32, says: String)] = [
            ("http://127.0.0.1:\(free)", key, 2, "error: nothing answers at http://127.0.0.1:\(free): is the server running?"),
            (host, key, 64, "--url \(host) needs http:// or https:// in front (did you mean http://\(host)?)"),
            ("http://no-such-host.invalid:8080", key, 2, "error: the host no-such-host.invalid in http://no-such-host.invalid:8080 is not known"),
            ("https://\(host)", key, 2, "error: TLS to https://\(host) failed: it does not speak TLS: use http://"),
            ("http://\(host)/v1", key, 2, "error: http://\(host)/v1 answered 404 to /v1/whoami: is it a Rapport server?"),
            ("http://\(host)", "rapport_not_a_key", 2, "error: the server at http://\(host) refused the key (401): check --key or $RAPPORT_KEY"),
        ]
        for (address, key, status, says) in cases {
            let run = try await RapportBinary.run(["repl", "--url", address, "-c", "count profiles"], environment: ["RAPPORT_KEY": key])
            #expect(run.status == status, "\(address): \(run)")
            #expect(run.stderr.contains(says), "\(address): \(run.stderr)")
            #expect(!run.stderr.contains("NIO") && !run.stderr.contains("errno") && !run.stderr.contains("still here"), "\(address): \(run.stderr)")
        }
        // The right address and key work, so the failures above were the address's and the key's.
        let good = try await RapportBinary.run(["repl", "--url", "http://\(host)", "-c", "count profiles"], environment: ["RAPPORT_KEY": key])
        #expect(good.status == 0 && good.stdout.contains("0"), "\(good)")
    }

    func exercise(client: HTTPClient, server: inout RunningServer, url: String, key: String, tenant: Tenant,
                  database: TestDatabase) async throws {

        let backend = try await HTTPBackend.connect(url: server.url, key: key, client: client)
        #expect(backend.tenant == tenant.slug)
        var session = ReplSession(backend: backend)
        session.timing = false
        await session.refreshCatalog()
        #expect(session.completer.catalog.traits.contains("plan"))
        #expect(session.completer.complete("profiles | where pla").candidates == ["plan"])

        let count = await session.handle(.statement(#"count profiles where plan = "pro""#))
        #expect(!count.failed && count.results?.contains("(1 row)") == true, "\(count)")
        let exact = try await backend.run("profiles | select n = 0.1 + 0.2, big = 12345678901234567890.123 | limit 1", id: UUID().uuidString)
        #expect(exact.rows.first == [.number("0.3"), .number("12345678901234567890.123")])

        // A profile card over HTTP and on the database: identities, traits with their sources.
        let someone = try await backend.run("profiles | where email is not null | select email | order by email | limit 1", id: UUID().uuidString)
        guard case .text(let email)? = someone.rows.first?.first else { Issue.record("no email in the seed"); return }
        let card = await session.handle(.command("\\profile email:\(email)"))
        #expect(card.results?.contains("identities") == true && card.results?.contains(email) == true
                && card.results?.contains("traits") == true && card.results?.contains("latest events") == true, "\(card)")
        let direct = try await Store.withStore(.url(database.url), logger: TestDatabase.logger) { store in
            var local = ReplSession(backend: StoreBackend(store: store, tenant: tenant))
            await local.refreshCatalog()
            return await local.handle(.command("\\profile email:\(email)"))
        }
        #expect(direct.results == card.results, "\(direct)")
        #expect(await session.handle(.command("\\profile email:nobody@nowhere.example")).message == "no profile matches email:nobody@nowhere.example")

        // `\d` lists every kind of definition, syncs too.
        try await Store.withStore(.url(database.url), logger: TestDatabase.logger) { store in
            _ = try await store.addDestination(name: "crm", kind: .webhook, url: "http://127.0.0.1:9/hook", writeKey: nil,
                                               settings: DestinationSettings(), allowPrivate: true, tenant: tenant, actor: "test")
            _ = try await store.query(#"sync pro_users to crm = profiles | where plan = "pro" | select email manually"#, tenant: tenant)
        }
        let listing = await session.handle(.command("\\d"))
        #expect(listing.results?.contains("syncs\n") == true && listing.results?.contains("pro_users") == true, "\(listing)")

        let wrong = await session.handle(.statement("profiles | where contry = 1"))
        #expect(wrong.failed && wrong.message?.contains("   |                  ^^^^^^") == true, "\(wrong)")

        // A cancel that arrives first stops the query from starting.
        let id = UUID().uuidString
        await backend.cancel(id)
        await #expect(throws: ReplFailure.cancelled) { try await backend.run("count profiles", id: id) }

        await server.stop()
        let lost = await session.handle(.statement("count profiles"))
        #expect(lost.failed && lost.message == "error: the server at \(server.url) stopped answering (nothing listens there now); "
                + "the REPL is still here: run the statement again once it is back", "\(lost)")

        server = try RunningServer.start(["--database-url", url], port: server.port)
        try await server.waitUntilReady()
        let back = await session.handle(.statement("count profiles"))
        #expect(!back.failed, "\(back)")
    }
}
