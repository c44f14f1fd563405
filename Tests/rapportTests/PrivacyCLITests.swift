import Foundation
import RapportStore
import RapportTestSupport
import Testing

/// `rapport privacy …` as compliance staff run it, and requests surviving a server restart.
@Suite(.enabled(if: TestDatabase.isConfigured && ProcessInfo.processInfo.environment["RAPPORT_TEST_PYTHON"] != nil,
                "needs scripts/test's PostgreSQL and Python environment"))
struct PrivacyCLITests {
    static let people = [
        #"{"type":"identify","userId":"u-fay","anonymousId":"dev-fay","traits":{"email":"fay.quill@example.com","name":"Fay Quillfeather","plan":"pro"},"messageId":"fay-1"}"#,
        #"{"type":"track","anonymousId":"dev-fay","event":"Order Completed","properties":{"revenue":30},"timestamp":"2030-02-01T00:00:00Z","messageId":"fay-2"}"#,
        #"{"type":"identify","userId":"u-gus","traits":{"email":"gus@example.com","name":"Gus","plan":"pro"},"messageId":"gus-1"}"#,
    ]

    /// A database with a tenant and the seed imported; the URL arguments and the seed file.
    func setUp(_ prefix: String) async throws -> (TestDatabase, [String], String, URL) {
        let database = try await TestDatabase.create()
        let url = ["--database-url", "postgres://\(database.url.username)@/\(database.url.database)?host=\(database.url.host)&port=\(database.url.port)"]
        let slug = uniqueSlug(prefix)
        #expect(try await RapportBinary.run(["tenants", "create", slug] + url).status == 0)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("privacy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let seed = folder.appendingPathComponent("people.ndjson")
        try (Self.people.joined(separator: "\n") + "\n").write(to: seed, atomically: true, encoding: .utf8)
        let imported = try await RapportBinary.run(["import", "--tenant", slug, seed.path] + url)
        #expect(imported.status == 0, "\(imported.stderr)")
        return (database, url, slug, folder)
    }

    @Test func aComplianceOfficerExportsAndErasesAPerson() async throws {
        let (database, url, slug, folder) = try await setUp("pcli")
        let iso = JSONDecoder()
        iso.dateDecodingStrategy = .iso8601
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("fay.json").path

        let export = try await RapportBinary.run(["privacy", "export", "--tenant", slug, "--email", "Fay.Quill@example.com", "-o", file] + url)
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.contains("export  completed"))
        #expect(export.stderr.contains("Wrote \(file)."))
        #expect(try await exportSchemaProblems(file) == nil)
        let document = try String(contentsOfFile: file, encoding: .utf8)
        #expect(document.contains("Fay Quillfeather") && !document.contains("gus@example.com"))
        #expect((try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int) == 0o600)

        // Usage errors: exit 64 with the reason, nothing filed.
        let none = try await RapportBinary.run(["privacy", "erase", "--tenant", slug] + url)
        #expect(none.status == 64 && none.stderr.contains("exactly one identifier"))
        let two = try await RapportBinary.run(["privacy", "erase", "--tenant", slug, "--email", "a@b.c", "--user-id", "u"] + url)
        #expect(two.status == 64)
        let kind = try await RapportBinary.run(["privacy", "erase", "--tenant", slug, "--identifier", "shoe:42"] + url)
        #expect(kind.status != 0 && kind.stderr.contains("`shoe` is not an identity kind"))
        // An identifier the tenant never saw (a typo) is not erased, nor suppressed, without --yes.
        let typo = try await RapportBinary.run(["privacy", "erase", "--tenant", slug, "--email", "fay.quill@exmaple.com"] + url)
        #expect(typo.status == 1 && typo.stderr.contains("has never seen email fay.quill@exmaple.com"), "\(typo.stderr)")
        #expect(typo.stderr.contains("--yes") && !typo.stderr.contains("Filed"))
        let forced = try await RapportBinary.run(["privacy", "erase", "--tenant", slug, "--email", "nobody.at.all@example.com", "--yes"] + url)
        #expect(forced.status == 0 && forced.stdout.contains("erasure  completed") && forced.stdout.contains("profiles_reached            0"),
                "\(forced.stdout)\(forced.stderr)")
        let missing = try await RapportBinary.run(["privacy", "status", "--tenant", slug, "pr_nope"] + url)
        #expect(missing.status == 1 && missing.stderr.contains("There is no privacy request `pr_nope`"))

        // A saved segment that names her by email: the data goes, but verification finds the
        // mention and the erasure fails (exit 1) saying where.
        #expect(try await RapportBinary.run(["query", "--tenant", slug, #"segment fay_watch = profiles | where email = "fay.quill@example.com""#] + url).status == 0)
        let blocked = try await RapportBinary.run(["privacy", "erase", "--tenant", slug, "--user-id", "u-fay"] + url)
        #expect(blocked.status == 1, "\(blocked.stdout)\(blocked.stderr)")
        #expect(blocked.stdout.contains("erasure  failed") && blocked.stdout.contains("definitions 1"), "\(blocked.stdout)")
        #expect(blocked.stdout.contains("events_deleted              2") && blocked.stdout.contains("exports_deleted             1"), "\(blocked.stdout)")
        #expect(try await RapportBinary.run(["query", "--tenant", slug, "drop segment fay_watch"] + url).status == 0)

        let erase = try await RapportBinary.run(["privacy", "erase", "--tenant", slug, "--email", "fay.quill@example.com", "--json"] + url)
        #expect(erase.status == 0, "\(erase.stdout)\(erase.stderr)")
        let request = try iso.decode(PrivacyRequest.self, from: Data(erase.stdout.utf8))
        #expect(request.status == .completed && request.counts["verification_hits"] == 0)
        // The failed run had already deleted her and suppressed her three identifiers; this one
        // reaches only the email it names, and takes over its suppression.
        #expect(request.counts["identifiers_suppressed"] == 1 && request.counts["profiles_deleted"] == 0)

        let dump = try await database.pgDump().lowercased()
        for secret in ["fay.quill@example.com", "u-fay", "dev-fay", "fay quillfeather"] { #expect(!dump.contains(secret), "\(secret)") }
        #expect(dump.contains("gus@example.com"))

        // Importing her again stores nothing of her.
        let again = try await RapportBinary.run(["import", "--tenant", slug, folder.appendingPathComponent("people.ndjson").path] + url)
        #expect(again.status == 0)
        #expect(again.stderr.contains("Dropped 2 message(s) carrying a suppressed (erased) identifier."), "\(again.stderr)")

        // The export, the failed and the completed erasure of Fay, and the erasure of an unknown address with --yes.
        let list = try await RapportBinary.run(["privacy", "list", "--tenant", slug] + url)
        #expect(list.status == 0 && list.stdout.contains("(4 rows)"), "\(list.stdout)")
        let failed = try await RapportBinary.run(["privacy", "list", "--tenant", slug, "--status", "failed", "--json"] + url)
        #expect(try iso.decode([PrivacyRequest].self, from: Data(failed.stdout.utf8)).map(\.type) == [.erasure])
        let audit = try await RapportBinary.run(["privacy", "audit", "--tenant", slug] + url)
        #expect(audit.status == 0)
        #expect(audit.stdout.contains("privacy.erasure.failed") && audit.stdout.contains("privacy.erasure.completed")
                && audit.stdout.contains("privacy.export.downloaded"))
        #expect(!audit.stdout.lowercased().contains("fay"))
        let status = try await RapportBinary.run(["privacy", "status", "--tenant", slug, request.id] + url)
        #expect(status.status == 0 && status.stdout.contains("messages_dropped            1"), "\(status.stdout)")
    }

    @Test func requestsFiledBeforeARestartAreCarriedOutAfterIt() async throws {
        let (database, url, slug, folder) = try await setUp("prst")
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = try await RapportBinary.run(["keys", "create", "--tenant", slug, "--scopes", "privacy"] + url).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)

        // A server that takes requests but carries none out.
        let first = try RunningServer.start(url + ["--no-privacy-worker"])
        try await first.waitUntilReady()
        let filed = try await httpSend(first.port, "POST", "/v1/privacy/requests", key: key, body: #"{"type":"erasure","subject":{"email":"gus@example.com"}}"#)
        #expect(filed.status == 202, "\(filed.body)")
        let id = try #require((try JSONSerialization.jsonObject(with: Data(filed.body.utf8)) as? [String: Any])?["id"] as? String)
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await httpGet(first.port, "/v1/privacy/requests/\(id)", key: key).body.contains(#""status":"pending""#))
        #expect(await first.stop() == 0)

        // The next start resumes it.
        let second = try RunningServer.start(url)
        defer { second.stopInTheBackground() }
        try await second.waitUntilReady()
        var body = ""
        for _ in 0..<100 {
            body = try await httpGet(second.port, "/v1/privacy/requests/\(id)", key: key).body
            if body.contains(#""status":"completed""#) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(body.contains(#""status":"completed""#), "\(body)\n\(second.log)")
        let left = try await database.superuserRows("SELECT count(*)::text FROM t_\(slug).identities WHERE value = 'gus@example.com'")
        #expect(left == [["0"]])
    }
}

