/// The queries running under a caller's id (``QueryOptions/id``), keyed by tenant and id, so
/// that one tenant's ids never meet another's: each one's PostgreSQL backend, so that
/// ``Store/cancelQuery(_:tenant:)`` can cancel it. A cancel that arrives before its query
/// starts is remembered for a minute, so a query cancelled while it was still being compiled
/// does not run; at most ``maxEarlyCancels`` are remembered per tenant (the oldest go first).
actor RunningQueries {
    struct Key: Hashable {
        var tenant: Int64
        var id: String
    }

    struct Running {
        var pid: Int32
        /// Which reservation this is, so that only its own query releases it.
        var token: UInt64
        var cancelled = false
    }

    static let maxEarlyCancels = 1_000
    static let earlyCancelLifetime: Duration = .seconds(60)

    private var running: [Key: Running] = [:]
    private var early: [Key: ContinuousClock.Instant] = [:]
    private var earlyPerTenant: [Int64: Int] = [:]
    private var nextToken: UInt64 = 0

    enum Reservation {
        /// With the token that releases it (``finish(_:tenant:token:)``).
        case reserved(UInt64)
        /// A cancel for this id came before the query.
        case cancelledEarly
        /// The tenant already runs a query under this id.
        case inUse
    }

    /// Reserves `id` for a query about to start (its backend comes with ``attach(_:tenant:pid:)``).
    func reserve(_ id: String, tenant: Int64) -> Reservation {
        let key = Key(tenant: tenant, id: id)
        forgetOldCancels()
        if early.removeValue(forKey: key) != nil {
            earlyPerTenant[tenant, default: 1] -= 1
            return .cancelledEarly
        }
        guard running[key] == nil else { return .inUse }
        nextToken += 1
        running[key] = Running(pid: 0, token: nextToken)
        return .reserved(nextToken)
    }

    /// Records the backend running the reserved query; false when it was cancelled meanwhile.
    func attach(_ id: String, tenant: Int64, pid: Int32) -> Bool {
        let key = Key(tenant: tenant, id: id)
        guard var query = running[key], !query.cancelled else { return false }
        query.pid = pid
        running[key] = query
        return true
    }

    /// Forgets the query reserved with `token` (nothing if the id is another reservation's
    /// now); whether it was cancelled.
    @discardableResult
    func finish(_ id: String, tenant: Int64, token: UInt64) -> Bool {
        let key = Key(tenant: tenant, id: id)
        guard let query = running[key], query.token == token else { return false }
        running[key] = nil
        return query.cancelled
    }

    /// Marks the query cancelled and returns its backend; nil when no query of `tenant` runs
    /// under that id yet, in which case the cancel waits for one to start (and stops it).
    func cancel(_ id: String, tenant: Int64) -> Int32? {
        let key = Key(tenant: tenant, id: id)
        guard var query = running[key] else {
            forgetOldCancels()
            if early[key] == nil {
                if earlyPerTenant[tenant, default: 0] >= Self.maxEarlyCancels, let oldest = early.filter({ $0.key.tenant == tenant }).min(by: { $0.value < $1.value }) {
                    early.removeValue(forKey: oldest.key)
                    earlyPerTenant[tenant, default: 1] -= 1
                }
                earlyPerTenant[tenant, default: 0] += 1
            }
            early[key] = ContinuousClock.now
            return nil
        }
        query.cancelled = true
        running[key] = query
        // 0: reserved but not started; it will not start (``attach`` says so).
        return query.pid
    }

    private func forgetOldCancels() {
        let now = ContinuousClock.now
        guard early.values.contains(where: { now - $0 >= Self.earlyCancelLifetime }) else { return }
        early = early.filter { now - $0.value < Self.earlyCancelLifetime }
        earlyPerTenant = Dictionary(early.keys.map { ($0.tenant, 1) }, uniquingKeysWith: +)
    }
}
