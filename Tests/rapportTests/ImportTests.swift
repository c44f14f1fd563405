import Foundation
import RapportStore
import RapportTestSupport
import Testing

/// `rapport import` on files with good and bad lines, plain, gzipped and from standard input.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
struct ImportTests {
    let lines = [
        #"{"type":"identify","userId":"u1","anonymousId":"d1","traits":{"email":"a@x.io"}}"#,
        #"{"type":"track","anonymousId":"d1","event":"Order Completed","properties":{"revenue":12},"timestamp":"2024-05-01T10:00:00Z"}"#,
        #"{"type":"track","event":"no identifier"}"#,
        "this is not json",
        "",
        #"{"type":"track","userId":"u2","event":"Signed Up","messageId":"fixed-1"}"#,
        #"{"type":"wink","userId":"u2"}"#,
        #"{"type":"page","userId":"u2","name":"Home"}"#,
    ]

    @Test func importsGoodLinesRejectsBadOnesAndIsIdempotent() async throws {
        let database = try await TestDatabase.create()
        let url = ["--database-url", "postgres://\(database.url.username)@/\(database.url.database)?host=\(database.url.host)&port=\(database.url.port)"]
        let slug = uniqueSlug("imp")
        #expect(try await RapportBinary.run(["tenants", "create", slug] + url).status == 0)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("events.ndjson").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)

        let first = try await RapportBinary.run(["import", "--tenant", slug, "--batch-size", "2", file] + url)
        #expect(first.status == 3, "\(first.stderr)")
        #expect(first.stderr.contains("4 stored, 0 already there, 3 rejected"), "\(first.stderr)")
        #expect(first.stderr.contains("Rejected lines and their reasons: \(file).rejects.ndjson"))
        let rejects = try String(contentsOfFile: file + ".rejects.ndjson", encoding: .utf8).split(separator: "\n")
        #expect(rejects.count == 3)
        #expect(rejects[0].contains(#""line":3"#) && rejects[0].contains("a message needs a `userId` or an `anonymousId`"))
        #expect(rejects[1].contains(#""line":4"#) && rejects[1].contains("malformed JSON"))
        #expect(rejects[2].contains(#""line":7"#) && rejects[2].contains("`type` must be"))

        // Again, plain: nothing new. Then gzipped, through standard input: nothing new either.
        // Standard error is not a terminal here: plain progress lines instead of a bar (every
        // RAPPORT_PROGRESS_SECONDS, 5 by default; 0 here so that even this small file gets them).
        let again = try await RapportBinary.run(["import", "--tenant", slug, "--batch-size", "2", file] + url,
                                          environment: ["RAPPORT_PROGRESS_SECONDS": "0"])
        #expect(again.stderr.contains("0 stored, 4 already there, 3 rejected"), "\(again.stderr)")
        #expect(again.stderr.contains("import: ") && again.stderr.contains(" lines, ") && !again.stderr.contains("\u{1B}["),
                "\(again.stderr)")
        let gz = try await ChildProcess.run("/bin/sh", ["-c", "gzip -c '\(file)' > '\(file).gz'"])
        #expect(gz.succeeded)
        let piped = try await ChildProcess.run("/bin/sh", ["-c", "exec \"$0\" \"$@\" < '\(file).gz'", RapportBinary.path,
                                                  "import", "--tenant", slug, "--rejects", folder.appendingPathComponent("r").path, "-"] + url)
        #expect(piped.output.contains("0 stored, 4 already there, 3 rejected"), "\(piped.output)")

        let s = "t_" + slug
        #expect(try await database.superuserRows("SELECT count(*)::text FROM \(s).events") == [["4"]])
        #expect(try await database.superuserRows("SELECT DISTINCT source FROM \(s).events") == [["import"]])
        #expect(try await database.superuserRows("SELECT count(*)::text FROM \(s).profiles WHERE merged_into IS NULL") == [["2"]])
        #expect(try await database.superuserRows("SELECT ts::text FROM \(s).events WHERE name = 'Order Completed'") == [["2024-05-01 10:00:00+00"]])

        let explain = try await RapportBinary.run(["profiles", "explain", "--tenant", slug, "email:A@x.io"] + url)
        #expect(explain.status == 0, "\(explain.stderr)")
        #expect(explain.stdout.contains("user_id u1: first seen"))
        let missing = try await RapportBinary.run(["import", "--tenant", slug, folder.appendingPathComponent("nope").path] + url)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("Cannot read \(folder.appendingPathComponent("nope").path): No such file or directory"),
                "\(missing.stderr)")
    }

    @Test func identityConfigFromTheCommandLine() async throws {
        let database = try await TestDatabase.create()
        let url = ["--database-url", "postgres://\(database.url.username)@/\(database.url.database)?host=\(database.url.host)&port=\(database.url.port)"]
        let slug = uniqueSlug("idc")
        #expect(try await RapportBinary.run(["tenants", "create", slug] + url).status == 0)
        let set = try await RapportBinary.run(["identity", "config", "--tenant", slug, "--kind", "crm_id:2:1", "--kind", "email:3:2:email",
                                         "--block", "email:noreply@x.io", "--precedence", "crm,web", "--json"] + url)
        #expect(set.status == 0, "\(set.stderr)")
        #expect(set.stdout.contains(#""name" : "crm_id""#))
        #expect(set.stdout.contains("noreply@x.io"))
        #expect(set.stdout.contains(#""crm","#) || set.stdout.contains("\"crm\""))
        let bad = try await RapportBinary.run(["identity", "config", "--tenant", slug, "--kind", "x:one:1"] + url)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("must be NAME:PRIORITY:LIMIT"))
        let removeBuiltIn = try await RapportBinary.run(["identity", "config", "--tenant", slug, "--remove-kind", "user_id"] + url)
        #expect(removeBuiltIn.stderr.contains("The identity kind `user_id` cannot be removed."))
    }
}
