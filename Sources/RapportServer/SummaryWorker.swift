import Logging
import RapportStore
import ServiceLifecycle

/// Rebuilds tenants' per-profile summaries in the background, a step at a time per tenant in
/// turn, whenever they are not ready: a tenant migrated from before the summaries existed, or
/// one whose value settings changed. Queries read the raw events until a tenant's rebuild is
/// done. Steps are transactions of their own, so a restart resumes where the last committed
/// step ended, and several server processes share the work safely.
///
/// A step holds the tenant's ingestion lock, so its size follows how long the last one took
/// (about a second each: ingestion waits no longer than that), and a tenant whose step fails
/// waits longer before each new try, while the others go on.
public final class SummaryWorker: Service, Sendable {
    let store: Store
    let interval: Duration

    public init(store: Store, interval: Duration = .seconds(2)) {
        self.store = store
        self.interval = interval
    }

    /// Profiles in a tenant's first step, and the bounds of any step.
    static let firstChunk = 5_000
    static let chunkBounds = 100...200_000

    /// The next step's number of profiles after one of `chunk` took `took`.
    static func nextChunk(after chunk: Int, took: Duration) -> Int {
        let next = took > .seconds(2) ? chunk / 2 : took < .milliseconds(500) ? chunk * 2 : chunk
        return min(max(next, chunkBounds.lowerBound), chunkBounds.upperBound)
    }

    /// How long a tenant whose step failed `failures` times in a row waits before the next try.
    static func backoff(failures: Int) -> Duration {
        min(.seconds(300), .seconds(2) * (1 << min(max(failures - 1, 0), 8)))
    }

    /// Never throws: a failure is logged and retried later, and a shutdown ends the loop quietly.
    public func run() async {
        let (store, interval) = (self.store, self.interval)
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled, (try? await store.migrationStatus().isCurrent) != true {
                guard (try? await Task.sleep(for: .milliseconds(200))) != nil else { return }
            }
            var chunks: [String: Int] = [:]
            var failures: [String: (count: Int, retryAt: ContinuousClock.Instant)] = [:]
            while !Task.isCancelled {
                var pending = 0
                do {
                    for tenant in try await store.listTenants() {
                        if let failure = failures[tenant.slug], ContinuousClock.now < failure.retryAt { continue }
                        let chunk = chunks[tenant.slug] ?? Self.firstChunk
                        let started = ContinuousClock.now
                        do {
                            if try await store.advanceSummaries(tenant: tenant, chunk: chunk) {
                                // Ready after a step of a rebuild (a chunk size was kept): vacuumed once.
                                if chunks[tenant.slug] != nil { try await store.vacuumSummaries(tenant: tenant) }
                                chunks[tenant.slug] = nil
                            } else {
                                pending += 1
                                chunks[tenant.slug] = Self.nextChunk(after: chunk, took: ContinuousClock.now - started)
                            }
                            failures[tenant.slug] = nil
                        } catch where !Task.isCancelled {
                            // One tenant that cannot be rebuilt must not hold up the others.
                            let count = (failures[tenant.slug]?.count ?? 0) + 1
                            failures[tenant.slug] = (count, ContinuousClock.now + Self.backoff(failures: count))
                            store.logger.error("summaries could not be rebuilt", metadata: [
                                "tenant": "\(tenant.slug)", "failures": "\(count)", "error": "\(String(reflecting: error))",
                            ])
                        }
                    }
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
