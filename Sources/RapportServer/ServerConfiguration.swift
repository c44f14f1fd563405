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
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var adminKey: String?
    public var query: QueryOptions
    /// Whether this process carries out privacy requests (``PrivacyWorker``).
    public var privacyWorker: Bool
    /// Whether `/metrics` labels message counts with tenant slugs (off: they name every tenant).
    public var metricsTenantLabels: Bool

    public init(host: String = "127.0.0.1", port: Int = 8080, adminKey: String? = nil, query: QueryOptions = QueryOptions(),
                privacyWorker: Bool = true, metricsTenantLabels: Bool = false) {
        self.host = host
        self.port = port
        self.adminKey = adminKey
        self.query = query
        self.privacyWorker = privacyWorker
        self.metricsTenantLabels = metricsTenantLabels
    }
}
