import Logging
import RapportStore
import ServiceLifecycle

/// Rebuilds tenants' per-profile summaries in the background, a step (20,000 profiles) at a
/// time per tenant in turn, whenever they are not ready: a tenant migrated from before the
/// summaries existed, or one whose value settings changed. Queries read the raw events until
/// a tenant's rebuild is done. Steps are transactions of their own, so a restart resumes where
/// the last committed step ended, and several server processes share the work safely.
public final class SummaryWorker: Service, Sendable {
    let store: Store
    let interval: Duration

    public init(store: Store, interval: Duration = .seconds(2)) {
        self.store = store
        self.interval = interval
    }

    /// Never throws: a failure is logged and retried at the next tick, and a shutdown ends the loop quietly.
    public func run() async {
        let (store, interval) = (self.store, self.interval)
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled, (try? await store.migrationStatus().isCurrent) != true {
                guard (try? await Task.sleep(for: .milliseconds(200))) != nil else { return }
            }
            while !Task.isCancelled {
                var pending = 0
                do {
                    pending = try await store.advanceSummaryRebuilds()
                } catch where !Task.isCancelled {
                    store.logger.error("summaries could not be rebuilt", metadata: ["error": "\(String(reflecting: error))"])
                } catch {
                    return
                }
                // While a rebuild has work, the next step follows at once.
                if pending == 0 { guard (try? await Task.sleep(for: interval)) != nil else { return } }
            }
        }
    }
}
