import Foundation
import RapportStore
import RapportTestSupport
import Testing

/// Segment's own Python library, pointed at a running Rapport.
@Suite(.enabled(if: TestDatabase.isConfigured && ProcessInfo.processInfo.environment["RAPPORT_TEST_PYTHON"] != nil,
                "needs scripts/test's PostgreSQL and Python environment"))
struct SegmentSDKTests {
    @Test func theOfficialPythonLibraryMakesOneProfilePerPerson() async throws {
        let database = try await TestDatabase.create()
        let url = "postgres://\(database.url.username)@/\(database.url.database)?host=\(database.url.host)&port=\(database.url.port)"
        let slug = uniqueSlug("sdk")
        #expect(try await RapportBinary.run(["tenants", "create", slug, "--database-url", url]).status == 0)
        let key = try await RapportBinary.run(["keys", "create", "--tenant", slug, "--scopes", "ingest", "--source", "python", "--database-url", url])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try RunningServer.start(["--database-url", url])
        defer { server.stopInTheBackground() }
        try await server.waitUntilReady()

        let python = ProcessInfo.processInfo.environment["RAPPORT_TEST_PYTHON"]!
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("python/segment_sdk_client.py").path
        let run = try await ChildProcess.run(python, [script, server.url, key])
        #expect(run.succeeded, "\(run.output)\n\(server.log)")

        let s = "t_" + slug
        let people = try await database.superuserRows("""
            SELECT string_agg(i.kind || ':' || i.value, ' ' ORDER BY i.kind, i.value)
            FROM \(s).identities i JOIN \(s).profiles p ON p.id = i.profile_id AND p.merged_into IS NULL
            GROUP BY i.profile_id ORDER BY 1
            """)
        #expect(people == [
            ["anonymous_id:device-1 anonymous_id:device-2 email:pat@example.com user_id:user-1"],
            ["email:sam@example.com user_id:user-2"],
        ])
        let pat = try await database.superuserRows("""
            SELECT p.traits->>'name', p.traits->>'plan', (SELECT count(*)::text FROM \(s).events e WHERE e.profile_id = p.id),
                   (SELECT string_agg(group_id, ',') FROM \(s).group_members g WHERE g.profile_id = p.id)
            FROM \(s).profiles p JOIN \(s).identities i ON i.profile_id = p.id WHERE i.kind = 'user_id' AND i.value = 'user-1'
            """)
        #expect(pat == [["Pat", "pro", "6", "acme"]])
        let sources = try await database.superuserRows("SELECT DISTINCT source FROM \(s).events")
        #expect(sources == [["python"]])
    }
}
