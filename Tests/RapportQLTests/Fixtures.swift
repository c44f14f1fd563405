import Foundation
@testable import RapportQL

/// The seeded test tenant's catalogue (`Tests/Fixtures/query-catalog.json`, which the store
/// tests check against the real catalogue of the seed), with the default identity kinds.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let identityKinds = [
        IdentityKindInfo(name: "user_id", normalization: "trim"), IdentityKindInfo(name: "email", normalization: "email"),
        IdentityKindInfo(name: "phone", normalization: "phone"), IdentityKindInfo(name: "anonymous_id", normalization: "trim"),
    ]

    static let catalog: CatalogSnapshot = {
        let data = (try? Data(contentsOf: root.appendingPathComponent("Tests/Fixtures/query-catalog.json"))) ?? Data("[]".utf8)
        let rows = (try? JSONDecoder().decode([[String]].self, from: data)) ?? []
        return CatalogSnapshot(entries: rows.map { CatalogSnapshot.Entry(kind: $0[0], name: $0[1], type: $0[2]) }, identityKinds: identityKinds)
    }()

    /// The catalogue with saved definitions added.
    static func catalog(with definitions: [Definition]) -> CatalogSnapshot {
        let data = (try? Data(contentsOf: root.appendingPathComponent("Tests/Fixtures/query-catalog.json"))) ?? Data("[]".utf8)
        let rows = (try? JSONDecoder().decode([[String]].self, from: data)) ?? []
        return CatalogSnapshot(entries: rows.map { CatalogSnapshot.Entry(kind: $0[0], name: $0[1], type: $0[2]) },
                               identityKinds: identityKinds, definitions: definitions)
    }

    static var exampleNames: [String] {
        let folder = root.appendingPathComponent("Grammar/examples")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return files.filter { $0.hasSuffix(".rql") }.map { String($0.dropLast(4)) }.sorted()
    }

    static func example(_ name: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent("Grammar/examples/\(name).rql"), encoding: .utf8)
    }
}
