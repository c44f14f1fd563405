import Foundation
import RapportStore
import RapportTestSupport
import Testing

/// The `rapport` binary, run as an operator would run it, against the test PostgreSQL.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
struct CLITests {
    @Test func tenantsAndKeysFromTheCommandLine() async throws {
        let database = try await TestDatabase.create()
        let url = ["--database-url", "postgres://\(database.url.username)@/\(database.url.database)?host=\(database.url.host)&port=\(database.url.port)"]
        let slug = uniqueSlug("cli")

        let create = try await RapportBinary.run(["tenants", "create", slug, "--name", "CLI Inc"] + url)
        #expect(create.status == 0, "\(create.stderr)")
        #expect(create.stderr.contains("Created tenant `\(slug)`"))
        let duplicate = try await RapportBinary.run(["tenants", "create", slug] + url)
        #expect(duplicate.status != 0)
        #expect(duplicate.stderr.contains("A tenant `\(slug)` already exists."))

        // The key alone on standard output, so `KEY=$(rapport keys create …)` works.
        let key = try await RapportBinary.run(["keys", "create", "--tenant", slug, "--scopes", "ingest,query", "--source", "web"] + url)
        #expect(key.status == 0, "\(key.stderr)")
        let printed = key.stdout.trimmingCharacters(in: .newlines)
        #expect(APIKeyFormat.looksLikeKey(printed))
        #expect(key.stdout == printed + "\n")
        #expect(key.stderr.contains("cannot be shown again"))

        let list = try await RapportBinary.run(["keys", "list", "--tenant", slug, "--json"] + url)
        #expect(list.status == 0)
        let id = printed.split(separator: "_")[1]
        #expect(list.stdout.contains("\"id\" : \"\(id)\""))
        #expect(!list.stdout.contains(printed))

        let badScope = try await RapportBinary.run(["keys", "create", "--tenant", slug, "--scopes", "ingest,write"] + url)
        #expect(badScope.status != 0)
        #expect(badScope.stderr.contains("Unknown scope `write`"))
        #expect(badScope.stdout.isEmpty)

        let revoke = try await RapportBinary.run(["keys", "revoke", "--tenant", slug, String(id)] + url)
        #expect(revoke.status == 0, "\(revoke.stderr)")

        let refuse = try await RapportBinary.run(["tenants", "delete", slug] + url)
        #expect(refuse.status != 0)
        #expect(refuse.stderr.contains("--yes"))
        let tenants = try await RapportBinary.run(["tenants", "list"] + url)
        #expect(tenants.stdout.contains(slug))
        // Where the tenant's summaries stand: ready; after a change of the value settings (no
        // server runs here to rebuild them), how far the rebuild has come.
        let listed = try await RapportBinary.run(["tenants", "list", "--json"] + url)
        #expect(listed.stdout.contains("\"profiles_done\" : 0"), "\(listed.stdout)")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(slug).ndjson").path
        try Data(#"{"type": "track", "event": "purchase", "userId": "u1", "properties": {"amount": 5}}"#.utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let imported = try await RapportBinary.run(["import", "--tenant", slug, file] + url)
        #expect(imported.status == 0, "\(imported.stderr)")
        let change = try await RapportBinary.run(["query", "--tenant", slug, "set value revenue = purchase.amount"] + url)
        #expect(change.status == 0, "\(change.stderr)")
        let rebuilding = try await RapportBinary.run(["tenants", "list"] + url)
        let row = rebuilding.stdout.split(separator: "\n").first { $0.contains(slug) } ?? ""
        #expect(row.contains("rebuilding: 0% (0 of 1 profiles)"), "\(rebuilding.stdout)")
        #expect(!tenants.stdout.contains("rebuilding"), "\(tenants.stdout)")
        let delete = try await RapportBinary.run(["tenants", "delete", slug, "--yes"] + url)
        #expect(delete.status == 0, "\(delete.stderr)")
        #expect(!(try await RapportBinary.run(["tenants", "list"] + url)).stdout.contains(slug))

        let migrate = try await RapportBinary.run(["migrate", "--status"] + url)
        #expect(migrate.stdout.contains("All migrations are applied."))
    }

    @Test func aBadDatabaseURLIsAClearError() async throws {
        let result = try await RapportBinary.run(["tenants", "list", "--database-url", "mysql://x@y/z"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("DATABASE_URL must look like postgres://"))
    }

    /// A slug that names no tenant gets the nearest one and where to see them all.
    @Test func aMistypedTenantGetsTheNearestOne() async throws {
        let database = try await TestDatabase.create()
        let url = ["--database-url", "postgres://\(database.url.username)@/\(database.url.database)?host=\(database.url.host)&port=\(database.url.port)"]
        let empty = try await RapportBinary.run(["query", "--tenant", "demo", "count profiles"] + url)
        #expect(empty.status == 1 && empty.stderr.contains("There is no tenant `demo`; this database has no tenant yet"), "\(empty.stderr)")
        let slug = uniqueSlug("shop")
        #expect(try await RapportBinary.run(["tenants", "create", slug] + url).status == 0)
        let typo = String(slug.dropLast()) + "x"
        for command in [["query", "--tenant", typo, "count profiles"], ["import", "--tenant", typo, "/dev/null"],
                        ["privacy", "list", "--tenant", typo]] {
            let result = try await RapportBinary.run(command + url)
            #expect(result.status == 1, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("There is no tenant `\(typo)` (did you mean `\(slug)`?); `rapport tenants list` shows them."),
                    "\(command): \(result.stderr)")
        }
    }

    /// A mistyped command or option is named, with the nearest one, and nothing runs (64).
    @Test(arguments: [
        (["qurey", "--tenant", "demo", "count profiles"],
         "unknown command 'qurey' for 'rapport' (did you mean 'query'?)"),
        (["query", "--tnant", "demo", "count profiles"],
         "unknown option '--tnant' for 'rapport query' (did you mean '--tenant'?). See 'rapport query --help'."),
        (["tenants", "lst"], "unknown command 'lst' for 'rapport tenants' (did you mean 'list'?); it has: create, list, delete, move."),
        (["keys", "create", "--tenant", "demo", "--scope", "ingest"],
         "unknown option '--scope' for 'rapport keys create' (did you mean '--scopes'?)"),
        (["--verison"], "unknown option '--verison' for 'rapport' (did you mean '--version'?)"),
        (["privacy", "erase", "--tenant", "demo", "--emial=ann@example.com"],
         "unknown option '--emial' for 'rapport privacy erase' (did you mean '--email'?)"),
        (["query", "-x", "--tenant", "demo", "count profiles"], "unknown option '-x' for 'rapport query'"),
        (["query", "--tenant", "demo", "--json", "--format", "csv", "count profiles"], "--json and --format exclude each other"),
        (["import", "--tenant", "demo", "--source", "", "/dev/null"], "--source: a source name has 1 to 100 characters."),
    ])
    func aMistypedCommandOrOptionIsNamed(arguments: [String], says: String) async throws {
        let run = try await RapportBinary.run(arguments + ["--database-url", "postgres://nobody@127.0.0.1:1/none"])
        #expect(run.status == 64, "\(run)")
        #expect(run.stderr.contains(says), "\(run.stderr)")
        #expect(!run.stderr.contains("Missing expected argument") && !run.stderr.contains("Unknown option '--tenant'"), "\(run.stderr)")
    }

    /// A command run where there is no database does not quietly make an empty one: it says
    /// where it looked and how to point it elsewhere. Only `serve` and `migrate` make one.
    @Test func aCommandDoesNotMakeASecondEmbeddedDatabase() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rapport-nothing-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for command in [["query", "--tenant", "demo", "count profiles"], ["tenants", "list"], ["keys", "list", "--tenant", "demo"],
                        ["migrate", "--status"]] {
            let result = try await RapportBinary.run(command + ["--data-dir", folder], environment: ["DATABASE_URL": ""])
            #expect(result.status == 1, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("There is no Rapport database in \(folder)"), "\(result.stderr)")
            #expect(result.stderr.contains("--data-dir DIR, RAPPORT_DATA_DIR=DIR or DATABASE_URL"))
            #expect(!FileManager.default.fileExists(atPath: folder + "/pg"), "\(command) made a cluster")
        }
    }
}
