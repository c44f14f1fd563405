import Metrics
import Logging

/// Group commit for ingestion: concurrent requests for one tenant are written together, in
/// arrival order, in one transaction, and each request's caller resumes only once that
/// transaction has committed. One writer per tenant per process; across processes the
/// store's advisory lock serialises them.
public actor IngestQueue {
    let store: Store
    /// The most messages waiting per tenant before new ones are refused (the caller answers 503).
    let maxPending: Int
    /// The most messages written in one transaction.
    let maxBatch: Int
    private var writers: [Int64: TenantWriter] = [:]

    public init(store: Store, maxPending: Int = 50_000, maxBatch: Int = 5_000) {
        self.store = store
        self.maxPending = maxPending
        self.maxBatch = maxBatch
    }

    /// Stores `messages`; returns once they are committed.
    /// - Throws: ``IngestOverloaded`` when too much is waiting; the store's error if the write failed.
    public func submit(_ messages: [IngestMessage], tenant: Tenant) async throws -> IngestResult {
        let writer: TenantWriter
        if let existing = writers[tenant.id] {
            writer = existing
        } else {
            writer = TenantWriter(store: store, tenant: tenant, maxPending: maxPending, maxBatch: maxBatch)
            writers[tenant.id] = writer
        }
        return try await writer.submit(messages)
    }
}

/// Too many messages are waiting to be written for this tenant; try again shortly.
public struct IngestOverloaded: Error, CustomStringConvertible {
    public var description: String { "Rapport is busy writing earlier messages for this tenant; retry in a moment." }
}

actor TenantWriter {
    struct Request {
        var messages: [IngestMessage]
        var continuation: CheckedContinuation<IngestResult, any Error>
    }

    let store: Store
    let tenant: Tenant
    let maxPending: Int
    let maxBatch: Int
    private var pending: [Request] = []
    private var pendingCount = 0
    private var draining = false

    init(store: Store, tenant: Tenant, maxPending: Int, maxBatch: Int) {
        self.store = store
        self.tenant = tenant
        self.maxPending = maxPending
        self.maxBatch = maxBatch
    }

    func submit(_ messages: [IngestMessage]) async throws -> IngestResult {
        guard pendingCount + messages.count <= maxPending || pendingCount == 0 else { throw IngestOverloaded() }
        return try await withCheckedThrowingContinuation { continuation in
            pending.append(Request(messages: messages, continuation: continuation))
            pendingCount += messages.count
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            var take = 0, count = 0
            while take < pending.count, take == 0 || count + pending[take].messages.count <= maxBatch {
                count += pending[take].messages.count
                take += 1
            }
            let group = Array(pending.prefix(take))
            pending.removeFirst(take)
            pendingCount -= count
            await write(group)
        }
        draining = false
    }

    private func write(_ group: [Request]) async {
        do {
            let result = try await store.ingest(group.flatMap(\.messages), tenant: tenant)
            // Counted here, once for the group: the requests of a group do not learn their share.
            if result.duplicates > 0 { Counter(label: "rapport_duplicate_messages_total").increment(by: result.duplicates) }
            // The batch's counts are shared; each request learns only that it is committed.
            for request in group { request.continuation.resume(returning: group.count == 1 ? result : IngestResult()) }
        } catch {
            guard group.count > 1 else {
                group[0].continuation.resume(throwing: error)
                return
            }
            // One request's messages must not fail the others': write each alone.
            store.logger.warning("a grouped ingestion failed; writing its requests one by one",
                                 metadata: ["error": "\(String(reflecting: error))"])
            for request in group { await write([request]) }
        }
    }
}
