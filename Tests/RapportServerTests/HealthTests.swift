import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import RapportServer
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
                // Says what the database is: one PostgreSQL here (a Citus coordinator adds its version and workers).
                #expect(response.text.hasPrefix(#"{"database":"PostgreSQL 1"#))
                #expect(response.text.hasSuffix(#"","status":"ready"}"# + "\n"), "every JSON answer ends with a newline")
                #expect(!response.text.contains("Citus"))
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

    /// `/metrics` counts every tenant's traffic: with an operator key set it needs that key,
    /// and it names no tenant unless the operator asks for per-tenant labels (issue 14: anyone
    /// who reached the port learned the customer list).
    @Test func metricsAreExposedForPrometheusToTheOperator() async throws {
        try await withTestApp { client, store, _ in
            let slug = uniqueSlug("metered")
            _ = try await store.createTenant(slug: slug, name: nil, actor: "test")
            let key = try await store.createKey(tenant: slug, scopes: [.ingest, .query], source: "web", name: nil, actor: "test").key
            try await client.execute(uri: "/v1/identify", method: .post, headers: basic(key), body: ByteBuffer(string: #"{"userId":"m1"}"#)) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response throws in
                #expect(response.status == .unauthorized)
            }
            for wrong in [bearer(key), bearer("not-the-operator")] {
                try await client.execute(uri: "/metrics", method: .get, headers: wrong) { response throws in
                    #expect(response.status == .unauthorized)
                }
            }
            try await client.execute(uri: "/metrics", method: .get, headers: bearer("operator-secret")) { response throws in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(response.text.contains("hb_requests"))
                #expect(response.text.contains("rapport_ingested_messages_total"))
                #expect(response.text.contains("rapport_identity_cache_entries"))
                #expect(!response.text.contains(slug))
            }
        }
    }

    @Test func tenantLabelsAreTheOperatorsChoice() async throws {
        try await withTestStore { store, _ in
            let slug = uniqueSlug("labelled")
            _ = try await store.createTenant(slug: slug, name: nil, actor: "test")
            let key = try await store.createKey(tenant: slug, scopes: [.ingest], source: "web", name: nil, actor: "test").key
            let app = buildApplication(store: store, configuration: ServerConfiguration(metricsTenantLabels: true), services: [],
                                       logger: TestDatabase.logger)
            try await app.test(.router) { client in
                try await client.execute(uri: "/v1/identify", method: .post, headers: basic(key), body: ByteBuffer(string: #"{"userId":"m1"}"#)) { _ in }
                // No operator key set: open, as the operator chose, with the label asked for.
                try await client.execute(uri: "/metrics", method: .get) { response throws in
                    #expect(response.status == .ok)
                    #expect(response.text.contains("tenant=\"\(slug)\""))
                }
            }
        }
    }
}

/// openapi.yaml lists exactly the routes the router has, but the web console's pages (the
/// README's "Web console" describes them), none of which is under /v1 or /admin.
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
        let store = Store(client: .init(configuration: .init(host: "localhost", username: "x", password: nil, database: nil, tls: .disable)),
                          migrations: try MigrationSet.bundled(), logger: TestDatabase.logger)
        let router = buildRouter(store: store, configuration: ServerConfiguration())
        let pages = Router(context: RapportRequestContext.self)
        ConsoleController(store: store).addRoutes(to: pages)
        let console = Set(pages.routes.map { "\($0.method.rawValue) \($0.path.description)" })
        #expect(console.count >= 15 && console.allSatisfy { !$0.contains(" /v1/") && !$0.contains(" /admin/") }, "\(console.sorted())")
        let routed = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" }).subtracting(console)
        #expect(documented == routed, "only in the spec: \(documented.subtracting(routed).sorted()); only in the router: \(routed.subtracting(documented).sorted())")
    }
}
