import Metrics
import Prometheus

/// The process-wide Prometheus registry that `/metrics` exposes. swift-metrics can be
/// bootstrapped once per process, so this happens on first use.
public enum RapportMetrics {
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}
