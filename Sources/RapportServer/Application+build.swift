import Hummingbird
import Logging
import PostgresNIO
import RapportStore
import ServiceLifecycle

/// The HTTP routes:
/// - `/healthz`, `/readyz`: no key; `/metrics`: the operator key when one is set;
/// - `/admin/v1/…`: the operator key (`RAPPORT_ADMIN_KEY`);
/// - `/v1/…`: a tenant's API key, each route checking its scope (or a console session's cookie
///   with its CSRF token);
/// - `/`, `/sign-in`, `/profiles`, `/ask`, `/segments`, `/data`, `/privacy`, `/console/assets/…`:
///   the web console's pages (``ConsoleController``).
public func buildRouter(store: Store, configuration: ServerConfiguration, privacyWorker: PrivacyWorker? = nil,
                        activationWorker: ActivationWorker? = nil) -> Router<RapportRequestContext> {
    let router = Router(context: RapportRequestContext.self)
    // Metrics outermost, so that they count the status an error was answered with (a refusal
    // is a 4xx there, not the 500 of an error not yet turned into a response).
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: LogRequestsMiddleware(.debug))
    HealthController(store: store, registry: RapportMetrics.registry, operatorKey: AdminAuthMiddleware(adminKey: configuration.adminKey))
        .addRoutes(to: router)

    let admin = router.group("admin/v1").add(middleware: AdminAuthMiddleware(adminKey: configuration.adminKey))
    AdminController(store: store).addRoutes(to: admin)

    let tally = IngestTally()
    IngestController(store: store, queue: IngestQueue(store: store), tenantLabels: configuration.metricsTenantLabels, tally: tally)
        .addRoutes(to: router)

    let tenant = router.group("v1").add(middleware: KeyAuthMiddleware(store: store))
    KeysController(store: store).addRoutes(to: tenant)
    ProfilesController(store: store).addRoutes(to: tenant)
    QueryController(store: store, options: configuration.query).addRoutes(to: tenant)
    PrivacyController(store: store, worker: privacyWorker).addRoutes(to: tenant)
    ActivationController(store: store, settings: configuration.activation, worker: activationWorker).addRoutes(to: tenant)
    IdentityConfigController(store: store).addRoutes(
        to: tenant, tenant: { try $0.require(.admin).tenant }, actor: { "key:" + (try $0.require(.admin)).id })
    ConsoleController(store: store, privacyWorker: privacyWorker, tally: tally, options: configuration.query).addRoutes(to: router)
    return router
}

/// The application: the router on `configuration`'s address, with `services` (the PostgreSQL
/// client, the embedded cluster) and the privacy worker run beside the server. On SIGINT or SIGTERM the server stops
/// taking requests and finishes the ones under way, then the services stop in reverse order.
public func buildApplication(
    store: Store, configuration: ServerConfiguration, services: [any Service], logger: Logger,
    onServerRunning: @escaping @Sendable () async -> Void = {}
) -> Application<RouterResponder<RapportRequestContext>> {
    let worker = configuration.privacyWorker ? PrivacyWorker(store: store) : nil
    let activation = configuration.activation.worker ? ActivationWorker(store: store, settings: configuration.activation) : nil
    var app = Application(
        router: buildRouter(store: store, configuration: configuration, privacyWorker: worker, activationWorker: activation),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "rapport"),
        onServerRunning: { _ in await onServerRunning() },
        logger: logger
    )
    app.addServices(services)
    // After the database client, so it stops first.
    if let worker { app.addServices(worker) }
    if let activation { app.addServices(activation) }
    if configuration.summaryWorker { app.addServices(SummaryWorker(store: store)) }
    return app
}
