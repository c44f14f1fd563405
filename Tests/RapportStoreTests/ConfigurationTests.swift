import Foundation
import Testing
@testable import RapportStore

@Suite struct DatabaseURLTests {
    @Test func parsesHostPortUserPasswordDatabase() throws {
        let url = try DatabaseURL("postgres://app:s3cret@db.example:6543/crm?sslmode=require")
        #expect(url.username == "app")
        #expect(url.password == "s3cret")
        #expect(url.host == "db.example")
        #expect(url.port == 6543)
        #expect(url.database == "crm")
        #expect(url.sslMode == "require")
        #expect(!url.description.contains("s3cret"))
    }

    @Test func hostParameterNamesASocketFolder() throws {
        let url = try DatabaseURL("postgresql://rapport@/rapport?host=/tmp/pg")
        #expect(url.clientConfiguration.unixSocketPath == "/tmp/pg/.s.PGSQL.5432")
        #expect(url.database == "rapport")
    }

    @Test(arguments: ["mysql://a@b/c", "not a url", "postgres://db.example/crm", "postgres://a@b/c?sslmode=maybe"])
    func rejectsWhatIsNotAPostgresURL(_ text: String) {
        #expect(throws: StoreError.self) { try DatabaseURL(text) }
    }

    @Test func commandLineOptionsWinOverTheEnvironment() throws {
        guard case .embedded(let dir) = try DatabaseConfiguration.fromEnvironment(databaseURL: nil, dataDirectory: "/var/lib/x") else {
            Issue.record("--data-dir should choose the embedded cluster")
            return
        }
        #expect(dir == "/var/lib/x")
        guard case .url(let url) = try DatabaseConfiguration.fromEnvironment(databaseURL: "postgres://u@h/d", dataDirectory: "/x") else {
            Issue.record("--database-url should win")
            return
        }
        #expect(url.host == "h")
    }
}

@Suite struct MigrationFileTests {
    /// The embedded migrations are exactly the repository's files, byte for byte.
    @Test func embeddedMigrationsMatchTheRepository() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let onDisk = try MigrationSet.load(from: root.appendingPathComponent("Migrations"))
        let embedded = try MigrationSet.bundled()
        #expect(!onDisk.control.isEmpty && !onDisk.tenant.isEmpty)
        #expect(embedded.control == onDisk.control)
        #expect(embedded.tenant == onDisk.tenant)
    }

    @Test func badFileNamesAndDuplicateNumbersAreErrors() throws {
        #expect(throws: StoreError.self) { try Migration(scope: .tenant, name: "profiles.sql", sql: "") }
        let a = try Migration(scope: .tenant, name: "0002_a.sql", sql: "SELECT 1")
        let b = try Migration(scope: .tenant, name: "0002_b.sql", sql: "SELECT 2")
        #expect(throws: StoreError.self) { try MigrationSet(control: [], tenant: [a, b]) }
    }

    @Test func scopesParseAndRejectUnknownNames() throws {
        #expect(try Scope.parse(["query, ingest", "query"]) == [.ingest, .query])
        #expect(throws: StoreError.invalidScopes(["write"])) { try Scope.parse(["ingest,write"]) }
        #expect(throws: StoreError.self) { try Scope.parse([""]) }
    }

    @Test func keysHaveTheirPrefixAndDistinctSecrets() {
        let (a, idA) = APIKeyFormat.generate()
        let (b, _) = APIKeyFormat.generate()
        #expect(a.hasPrefix("rapport_\(idA)_"))
        #expect(APIKeyFormat.looksLikeKey(a))
        #expect(a != b)
        #expect(APIKeyFormat.hash(a) != APIKeyFormat.hash(b))
    }
}
