import Metrics
import Prometheus
import RapportStore

/// The process-wide Prometheus registry that `/metrics` exposes. swift-metrics can be
/// bootstrapped once per process, so this happens on first use.
public enum RapportMetrics {
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}

extension RapportMetrics {
    /// Sets the gauges read off the process just before `/metrics` answers: the identity
    /// cache's size over all tenants (`rapport_identity_cache_entries`).
    static func recordGauges(store: Store) {
        Gauge(label: "rapport_identity_cache_entries").record(store.identityCacheEntries)
    }
}
