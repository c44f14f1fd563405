import RapportStore

/// How `rapport serve` listens and who may use the operator API.
///
/// Keys (command-line option, then environment variable, then default):
/// - `host` (`--host`, `RAPPORT_HOST`): `127.0.0.1`;
/// - `port` (`--port`, `RAPPORT_PORT`): `8080`;
/// - `adminKey` (`RAPPORT_ADMIN_KEY`): none, which turns the operator API off;
/// - `query.timeout` (`--query-timeout-ms`, `RAPPORT_QUERY_TIMEOUT_MS`): 30,000 ms per query;
/// - `query.rowCap` (`--query-row-cap`, `RAPPORT_QUERY_ROW_CAP`): 10,000 rows per result;
/// - `metricsTenantLabels` (`RAPPORT_METRICS_TENANT_LABELS`): off; on, `/metrics` counts
///   messages per tenant slug.
/// - `activation.worker` (`--activation-worker`, `RAPPORT_ACTIVATION_WORKER`): on; runs syncs
///   and delivers their records in this process (safe in several at once);
/// - `activation.allowPrivate` (`RAPPORT_ALLOW_PRIVATE_DESTINATIONS`): off; on, destination
///   URLs may point at loopback, private and link-local addresses (tests, one-machine set-ups);
/// - `activation.retentionDays` (`RAPPORT_DELIVERY_LOG_DAYS`): 30 days of delivery log.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var adminKey: String?
    public var query: QueryOptions
    /// Whether this process carries out privacy requests (``PrivacyWorker``).
    public var privacyWorker: Bool
    /// Whether `/metrics` labels message counts with tenant slugs (off: they name every tenant).
    public var metricsTenantLabels: Bool
    public var activation: ActivationSettings
    /// Whether this process rebuilds tenants' per-profile summaries when they are not ready
    /// (``SummaryWorker``): after a migration, or a change of the value settings.
    public var summaryWorker = true

    public init(host: String = "127.0.0.1", port: Int = 8080, adminKey: String? = nil, query: QueryOptions = QueryOptions(),
                privacyWorker: Bool = true, metricsTenantLabels: Bool = false, activation: ActivationSettings = ActivationSettings()) {
        self.activation = activation
        self.host = host
        self.port = port
        self.adminKey = adminKey
        self.query = query
        self.privacyWorker = privacyWorker
        self.metricsTenantLabels = metricsTenantLabels
    }
}

/// How this process runs syncs and delivers to destinations.
public struct ActivationSettings: Sendable {
    /// Whether this process runs due syncs and delivers the outbox.
    public var worker: Bool
    /// Whether destination URLs may point at loopback, private or link-local addresses.
    public var allowPrivate: Bool
    /// Days the delivery log is kept.
    public var retentionDays: Int
    /// How often the worker looks for due syncs and waiting records.
    public var interval: Duration

    public init(worker: Bool = true, allowPrivate: Bool = false, retentionDays: Int = 30, interval: Duration = .seconds(1)) {
        self.worker = worker
        self.allowPrivate = allowPrivate
        self.retentionDays = retentionDays
        self.interval = interval
    }
}
