import Foundation
import Synchronization

/// What this server process has taken in per tenant since it started: messages stored, and
/// requests refused (a malformed body, an invalid message, a batch over a limit) whose key
/// named the tenant. The console's Data page shows it; it is per process and not kept
/// across restarts (Prometheus' `rapport_tenant_…` counters, when the operator turns them on,
/// are the durable view).
final class IngestTally: Sendable {
    struct Counts: Sendable, Equatable {
        var accepted: Int64 = 0
        var rejected: Int64 = 0
        var lastRejection: String?
        var lastRejectionAt: Date?
    }

    private let counts = Mutex<[Int64: Counts]>([:])
    let since = Date()

    func accepted(_ n: Int, tenant: Int64) {
        counts.withLock { $0[tenant, default: Counts()].accepted += Int64(n) }
    }

    func rejected(tenant: Int64, reason: String) {
        counts.withLock {
            $0[tenant, default: Counts()].rejected += 1
            $0[tenant]?.lastRejection = String(reason.prefix(300))
            $0[tenant]?.lastRejectionAt = Date()
        }
    }

    func counts(tenant: Int64) -> Counts {
        counts.withLock { $0[tenant] ?? Counts() }
    }
}
