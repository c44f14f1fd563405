import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import RapportServer
import RapportStore
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP server (applies pending migrations first).",
        discussion: "The operator API under /admin/v1 is on when RAPPORT_ADMIN_KEY is set.")

    @OptionGroup var options: DatabaseOptions

    @Option(help: "The address to listen on (default: $RAPPORT_HOST, else 127.0.0.1).")
    var host: String?

    @Option(help: "The port to listen on (default: $RAPPORT_PORT, else 8080).")
    var port: Int?

    @Option(help: "A query's statement timeout in milliseconds (default: $RAPPORT_QUERY_TIMEOUT_MS, else 30000).")
    var queryTimeoutMs: Int?

    @Option(help: "The most rows a query returns (default: $RAPPORT_QUERY_ROW_CAP, else 10000).")
    var queryRowCap: Int?

    @Flag(inversion: .prefixedNo, help: "Carry out privacy requests in this process (default: $RAPPORT_PRIVACY_WORKER, else on; run it in one process of a deployment or in all).")
    var privacyWorker: Bool?

    @Flag(inversion: .prefixedNo, help: "Run syncs and deliver to destinations in this process (default: $RAPPORT_ACTIVATION_WORKER, else on).")
    var activationWorker: Bool?

    @Flag(help: "Create the tenant `demo` if missing and print a fresh key for it (keys printed by earlier runs stay valid).")
    var demo = false

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let configuration = ServerConfiguration(
            host: host ?? env["RAPPORT_HOST"] ?? "127.0.0.1",
            port: port ?? env["RAPPORT_PORT"].flatMap(Int.init) ?? 8080,
            adminKey: env["RAPPORT_ADMIN_KEY"],
            query: QueryOptions(
                timeout: .milliseconds(queryTimeoutMs ?? env["RAPPORT_QUERY_TIMEOUT_MS"].flatMap(Int.init) ?? 30_000),
                rowCap: queryRowCap ?? env["RAPPORT_QUERY_ROW_CAP"].flatMap(Int.init) ?? 10_000),
            privacyWorker: privacyWorker ?? !["0", "off", "false", "no"].contains(env["RAPPORT_PRIVACY_WORKER"]?.lowercased() ?? ""),
            metricsTenantLabels: ["1", "on", "true", "yes"].contains(env["RAPPORT_METRICS_TENANT_LABELS"]?.lowercased() ?? ""),
            activation: ActivationSettings(
                worker: activationWorker ?? !["0", "off", "false", "no"].contains(env["RAPPORT_ACTIVATION_WORKER"]?.lowercased() ?? ""),
                allowPrivate: ["1", "on", "true", "yes"].contains(env["RAPPORT_ALLOW_PRIVATE_DESTINATIONS"]?.lowercased() ?? ""),
                retentionDays: env["RAPPORT_DELIVERY_LOG_DAYS"].flatMap(Int.init) ?? 30))
        guard (1...1_000_000).contains(configuration.query.rowCap) else {
            throw ValidationError("The row cap (--query-row-cap, RAPPORT_QUERY_ROW_CAP) must be from 1 to 1,000,000.")
        }
        guard configuration.query.timeout > .zero else {
            throw ValidationError("The query timeout (--query-timeout-ms, RAPPORT_QUERY_TIMEOUT_MS) must be at least 1 ms.")
        }
        let logger = options.logger(default: .info)
        let databaseConfiguration = try options.database()
        logger.info("opening the database", metadata: ["database": "\(databaseConfiguration)"])

        let database = try await OpenedDatabase.open(databaseConfiguration, owner: true, logger: logger)
        let client = PostgresClient(configuration: database.clientConfiguration, backgroundLogger: logger)
        let store = Store(client: client, migrations: try MigrationSet.bundled(), logger: logger,
                          identityCacheCapacity: env["RAPPORT_IDENTITY_CACHE_SIZE"].flatMap(Int.init) ?? IdentityCache.defaultCapacity)
        let demo = self.demo
        let demoKey = DemoKeyBox()
        let url = "http://\(configuration.host):\(configuration.port)"
        var app = buildApplication(
            store: store, configuration: configuration,
            services: [EmbeddedPostgresService(database: database, logger: logger), client], logger: logger
        ) {
            logger.notice("Rapport is listening on \(url)")
            if configuration.adminKey != nil {
                logger.notice("the operator API is on at \(url)/admin/v1 (its key is RAPPORT_ADMIN_KEY)")
            }
            guard let key = await demoKey.key else { return }
            FileHandle.standardOutput.write(Data((key + "\n").utf8))
            printError(DemoTenant.instructions(url: url, key: key))
        }
        app.beforeServerStarts {
            let report = try await store.migrate()
            if report.count == 0 {
                logger.info("migrations are current")
            } else {
                logger.info("applied \(report.count) migration(s)", metadata: ["scopes": "\(report.applied.map(\.scope).joined(separator: ","))"])
            }
            if demo { await demoKey.set(try await DemoTenant.prepare(store: store, logger: logger)) }
        }
        do {
            try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        } catch {
            logger.error("the server stopped on an error", metadata: ["error": "\(String(reflecting: error))"])
            database.close(logger: logger)
            throw error
        }
    }
}

/// Holds the demo key between the start-up hook and the running hook.
actor DemoKeyBox {
    var key: String?
    func set(_ key: String) { self.key = key }
}
