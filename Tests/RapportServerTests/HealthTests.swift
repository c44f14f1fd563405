import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RapportServer
import RapportStore
import RapportTestSupport
import Testing

@Suite(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
struct HealthTests {
    @Test func readinessFollowsMigrations() async throws {
        try await withTestApp(migrate: false) { client, store, _ in
            try await client.execute(uri: "/healthz", method: .get) { response throws in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/readyz", method: .get) { response throws in
                #expect(response.status == .serviceUnavailable)
                #expect(response.text.contains("pending"))
            }
            try await store.migrate()
            try await client.execute(uri: "/readyz", method: .get) { response throws in
                #expect(response.status == .ok)
                #expect(response.text == #"{"status":"ready"}"#)
            }
        }
    }

    @Test func everyResponseCarriesARequestIDAndUnknownPathsAreJSON() async throws {
        try await withTestApp { client, _, _ in
            try await client.execute(uri: "/no/such/path", method: .get) { response throws in
                #expect(response.status == .notFound)
                #expect(response.errorCode == "not-found")
                #expect(response.headers[HTTPField.Name("X-Request-Id")!]?.isEmpty == false)
            }
        }
    }

    @Test func metricsAreExposedForPrometheus() async throws {
        try await withTestApp { client, _, _ in
            try await client.execute(uri: "/healthz", method: .get) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response throws in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(response.text.contains("hb_requests"))
                #expect(response.text.contains("# TYPE"))
            }
        }
    }
}

/// openapi.yaml lists exactly the routes the router has.
@Suite struct OpenAPITests {
    @Test func specAndRouterAgree() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let spec = try String(contentsOf: root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        var documented = Set<String>()
        var path: String?
        var inPaths = false
        for line in spec.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("paths:") { inPaths = true; continue }
            if inPaths, let first = line.first, first != " " { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":") { path = String(line.dropFirst(2).dropLast()) }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("    "), !line.hasPrefix("     "), let path,
               ["get:", "post:", "put:", "patch:", "delete:"].contains(trimmed) {
                documented.insert("\(trimmed.dropLast().uppercased()) \(path)")
            }
        }
        let router = buildRouter(store: Store(client: .init(configuration: .init(host: "localhost", username: "x", password: nil, database: nil, tls: .disable)),
                                              migrations: try MigrationSet.bundled(), logger: TestDatabase.logger),
                                 configuration: ServerConfiguration())
        let routed = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" })
        #expect(documented == routed, "only in the spec: \(documented.subtracting(routed).sorted()); only in the router: \(routed.subtracting(documented).sorted())")
    }
}
