import Logging
import RapportStore
import ServiceLifecycle

/// Carries out privacy requests in the background: at start-up, once every migration is applied
/// (so requests filed before a restart, or left running by a process that died, resume), then
/// whenever one is filed, and every few seconds for requests filed through another process. On
/// shutdown a request under way is left running, and the next start resumes it.
public final class PrivacyWorker: Service, Sendable {
    let store: Store
    let interval: Duration
    private let wakeups: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    public init(store: Store, interval: Duration = .seconds(5)) {
        self.store = store
        self.interval = interval
        (wakeups, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks the worker to look for requests now.
    public func wake() { continuation.yield() }

    /// Never throws: a failure is logged and retried at the next wake-up, and a shutdown ends the loop quietly.
    public func run() async {
        let (store, interval, wakeups, continuation) = (self.store, self.interval, self.wakeups, self.continuation)
        try? await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                // A timer that keeps waking the loop below.
                group.addTask {
                    while (try? await Task.sleep(for: interval)) != nil { continuation.yield() }
                }
                group.addTask {
                    // Nothing before the database is ready: the server migrates a fresh database
                    // as it starts, beside this service.
                    while !Task.isCancelled, (try? await store.migrationStatus().isCurrent) != true {
                        guard (try? await Task.sleep(for: .milliseconds(200))) != nil else { return }
                    }
                    var pending = wakeups.makeAsyncIterator()
                    repeat {
                        do {
                            try await store.runOpenPrivacyRequests()
                        } catch where !Task.isCancelled {
                            store.logger.error("privacy requests could not be run", metadata: ["error": "\(String(reflecting: error))"])
                        } catch {
                            return
                        }
                    } while await pending.next() != nil && !Task.isCancelled
                }
                await group.next()
                group.cancelAll()
            }
        }
    }
}
