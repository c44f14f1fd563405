/// The queries running under a caller's id (``QueryOptions/id``): each one's tenant and the
/// PostgreSQL backend running it, so that ``Store/cancelQuery(_:tenant:)`` can cancel it.
/// A cancel that arrives before its query starts is remembered for a minute, so a query
/// cancelled while it was still being compiled does not run.
actor RunningQueries {
    struct Running {
        var tenant: String
        var pid: Int32
        var cancelled = false
    }

    private var running: [String: Running] = [:]
    private var early: [String: (tenant: String, at: ContinuousClock.Instant)] = [:]

    /// Registers a query; false when it was cancelled before it started.
    func start(_ id: String, tenant: String, pid: Int32) -> Bool {
        let now = ContinuousClock.now
        early = early.filter { now - $0.value.at < .seconds(60) }
        if let cancel = early.removeValue(forKey: id), cancel.tenant == tenant { return false }
        running[id] = Running(tenant: tenant, pid: pid)
        return true
    }

    /// Forgets the query; whether it was cancelled.
    @discardableResult
    func finish(_ id: String) -> Bool { running.removeValue(forKey: id)?.cancelled ?? false }

    /// Marks the query cancelled and returns its backend; nil when no query of `tenant` runs
    /// under that id, in which case the cancel waits for one to start (and stops it).
    func cancel(_ id: String, tenant: String) -> Int32? {
        guard var query = running[id] else {
            early[id] = (tenant, ContinuousClock.now)
            return nil
        }
        guard query.tenant == tenant else { return nil }
        query.cancelled = true
        running[id] = query
        return query.pid
    }
}
