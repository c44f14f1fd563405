import Foundation
import RapportStore

/// The tenant the query tests ask their questions of: `Tests/Fixtures/query-seed.ndjson`
/// (made by `make-query-seed.py`), imported through the real importer, asked at a fixed now.
public enum QuerySeed {
    /// The repository's root folder.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The moment the seeded questions are asked: 2025-01-01T00:00:00Z.
    public static let now = Date(timeIntervalSince1970: 1_735_689_600)

    public static var seedFile: URL { root.appendingPathComponent("Tests/Fixtures/query-seed.ndjson") }
    /// The seeded tenant's catalogue, as the compiler's golden tests use it.
    public static var catalogFile: URL { root.appendingPathComponent("Tests/Fixtures/query-catalog.json") }
    public static var examplesFolder: URL { root.appendingPathComponent("Grammar/examples") }

    /// Creates a tenant and imports the seed into it.
    public static func seed(_ store: Store, slug: String = uniqueSlug("q")) async throws -> Tenant {
        let tenant = try await store.createTenant(slug: slug, name: nil, actor: "test")
        let rejects = FileManager.default.temporaryDirectory.appendingPathComponent("\(slug).rejects.ndjson").path
        let importer = Importer(store: store, tenant: tenant, options: Importer.Options(source: "seed", rejectsPath: rejects))
        let handle = try FileHandle(forReadingFrom: seedFile)
        defer { try? handle.close() }
        let summary = try await importer.run(handle, totalBytes: nil)
        guard summary.rejected == 0 else { throw TestSetupError("the query seed had \(summary.rejected) rejected lines (\(rejects))") }
        return tenant
    }

    /// The names of the examples, sorted (`segments` for `segments.rql`).
    public static func exampleNames() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: examplesFolder.path)) ?? []
        return files.filter { $0.hasSuffix(".rql") }.map { String($0.dropLast(4)) }.sorted()
    }

    public static func example(_ name: String) throws -> String {
        try String(contentsOf: examplesFolder.appendingPathComponent("\(name).rql"), encoding: .utf8)
    }
}
