import Hummingbird
import Prometheus
import RapportStore

/// `/healthz` (the process answers) and `/readyz` (the database answers and every migration is
/// applied), which need no key, and Prometheus `/metrics`, which needs the operator key when
/// one is set (it counts every tenant's traffic; per-tenant labels only when the operator
/// turns them on, ``ServerConfiguration/metricsTenantLabels``).
struct HealthController {
    let store: Store
    let registry: PrometheusCollectorRegistry
    /// Checks the operator key on `/metrics`.
    let operatorKey: AdminAuthMiddleware

    struct Status: ResponseEncodable {
        var status: String
        var reason: String?
        /// What the database is, major versions only: `PostgreSQL 15`, or `PostgreSQL 15 with Citus 13.2 (2 workers)`.
        var database: String?
    }

    func addRoutes(to router: Router<RapportRequestContext>) {
        router.get("healthz") { _, _ in Status(status: "ok") }
        router.get("readyz") { _, context in try await readiness(context: context) }
        router.get("metrics") { request, _ in
            try operatorKey.authorize(request)
            RapportMetrics.recordGauges(store: store)
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16 * 1024)
            registry.emit(into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }

    func readiness(context: RapportRequestContext) async throws -> EditedResponse<Status> {
        guard await store.ping() else {
            return .init(status: .serviceUnavailable, response: Status(status: "unavailable", reason: "The database does not answer."))
        }
        do {
            let migrations = try await store.migrationStatus()
            guard migrations.isCurrent else {
                let scopes = migrations.pending.filter { !$0.value.isEmpty }.keys.sorted().joined(separator: ", ")
                return .init(status: .serviceUnavailable, response: Status(status: "unavailable", reason: "Migrations are pending for \(scopes)."))
            }
        } catch {
            context.logger.error("readiness check failed", metadata: ["error": "\(String(reflecting: error))"])
            return .init(status: .serviceUnavailable, response: Status(status: "unavailable", reason: "\(error)"))
        }
        let database = try? await store.clusterInfo().publicSummary
        return .init(status: .ok, response: Status(status: "ready", database: database))
    }
}
