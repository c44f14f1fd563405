import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import RapportStore
import ServiceLifecycle

/// Runs due syncs and delivers the outbox (issue 17), in the background of `rapport serve`.
///
/// Every tick it looks, per tenant, for syncs whose run is due and for destinations with
/// records due. Each destination gets a delivery loop of its own (at most one per process),
/// with its own concurrency and rate, so a slow or dead destination delays nobody else.
/// Several processes may run it on one database: runs lock their sync, and a batch taken
/// for delivery is leased (a process that dies leaves the lease to expire, and the batch
/// goes again under the same Idempotency-Key).
public final class ActivationWorker: Service, Sendable {
    let store: Store
    let settings: ActivationSettings
    let http: HTTPClient
    let busy = BusySet()
    private let wakeups: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    public init(store: Store, settings: ActivationSettings) {
        self.store = store
        self.settings = settings
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)))
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        (wakeups, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks the worker to look now (a run was asked for, a dead letter replayed).
    public func wake() { continuation.yield() }

    /// Stops the HTTP client of a worker whose `run()` never ran (a benchmark's).
    public func shutdownClient() async { try? await http.shutdown() }

    public func run() async {
        let (interval, continuation, wakeups) = (settings.interval, self.continuation, self.wakeups)
        try? await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    while (try? await Task.sleep(for: interval)) != nil { continuation.yield() }
                }
                while !Task.isCancelled, (try? await self.store.migrationStatus().isCurrent) != true {
                    guard (try? await Task.sleep(for: .milliseconds(200))) != nil else { return }
                }
                var lastPrune = ContinuousClock.now - .seconds(3600)
                var pending = wakeups.makeAsyncIterator()
                repeat {
                    let tenants = (try? await self.store.listTenants()) ?? []
                    let prune = ContinuousClock.now - lastPrune >= .seconds(3600)
                    if prune { lastPrune = .now }
                    for tenant in tenants {
                        if await self.busy.claim("runs/\(tenant.id)") {
                            group.addTask {
                                await self.runDueSyncs(tenant: tenant)
                                await self.busy.release("runs/\(tenant.id)")
                            }
                        }
                        let work: [(DestinationInfo, secret: String)]
                        do {
                            work = try await self.store.destinationsWithWork(tenant: tenant)
                        } catch {
                            if !Task.isCancelled { self.store.logger.warning("the outbox could not be read", metadata: ["tenant": "\(tenant.slug)", "error": "\(String(reflecting: error))"]) }
                            continue
                        }
                        for (destination, secret) in work where await self.busy.claim("deliver/\(tenant.id)/\(destination.name)") {
                            group.addTask {
                                await self.deliver(destination, secret: secret, tenant: tenant)
                                await self.busy.release("deliver/\(tenant.id)/\(destination.name)")
                            }
                        }
                        if prune { try? await self.store.pruneDeliveries(olderThanDays: self.settings.retentionDays, tenant: tenant) }
                    }
                } while await pending.next() != nil && !Task.isCancelled
                group.cancelAll()
            }
        }
        try? await http.shutdown()
    }

    func runDueSyncs(tenant: Tenant) async {
        guard let due = try? await store.dueSyncs(tenant: tenant) else { return }
        for name in due where !Task.isCancelled {
            do {
                let run = try await store.runSync(name, tenant: tenant)
                Self.count(run, tenant: tenant)
            } catch {
                store.logger.warning("a sync run failed", metadata: ["tenant": "\(tenant.slug)", "sync": "\(name)", "error": "\(error)"])
            }
        }
    }

    static func count(_ run: SyncRun, tenant: Tenant) {
        Counter(label: "rapport_sync_runs_total").increment()
        for (kind, n) in [("entered", run.entered), ("changed", run.changed), ("exited", run.exited)] where n > 0 {
            Counter(label: "rapport_sync_records_total", dimensions: [("kind", kind)]).increment(by: Int(n))
        }
    }

    /// Delivers `destination`'s due records until none is left, with at most its concurrency
    /// of requests in flight and no more than its rate of records a second. Without a rate,
    /// batches are taken a lane's worth ahead (a take is one transaction for all of them, and
    /// the take, not the request, was what lanes waited for). With a rate, a batch is taken
    /// only when the rate allows sending a full one: taken ahead, a batch could wait past its
    /// lease and be taken again. A lane is free again as soon as its request is answered: what
    /// came of it is recorded beside the next request (until then the batch's profiles wait, so
    /// their order holds). With nothing to take but batches in flight or being recorded the
    /// loop waits for one: a record behind its profile's batch is taken as soon as that ends.
    public func deliver(_ destination: DestinationInfo, secret: String, tenant: Tenant) async {
        let limiter = RateLimiter(rate: destination.settings.rate)
        let limited = destination.settings.rate > 0
        let (lanes, size) = (destination.settings.concurrency, destination.settings.batchSize)
        await withTaskGroup(of: Lane.self) { group in
            var (sending, recording) = (0, 0)
            // Answers waiting for one of the (at most `lanes`) recordings.
            var answered: [(OutboxBatch, Store.BatchOutcome, Int)] = []
            var ready: [OutboxBatch] = []
            var drained = false
            // Where the destination's records start (takes read from there, not past the entries
            // of those delivered), and when a take last read from the start (a record that
            // committed below it after a take read past is found by the next such take).
            var from: Int64?
            var restart = ContinuousClock.now
            while !Task.isCancelled {
                if !drained, limited ? sending < lanes && ready.isEmpty : ready.count < lanes {
                    if limited { await limiter.wait(for: size) }
                    if ContinuousClock.now - restart > .seconds(5) { (from, restart) = (nil, .now) }
                    do {
                        let (taken, first) = try await store.takeBatches(destination: destination.name, size: size,
                                                                         count: limited ? 1 : 2 * lanes - sending - ready.count,
                                                                         timeout: destination.settings.timeout, from: from, tenant: tenant)
                        from = first ?? from
                        ready += taken
                        drained = taken.isEmpty
                    } catch {
                        store.logger.warning("a batch could not be taken", metadata: ["destination": "\(destination.name)", "error": "\(error)"])
                        drained = true
                    }
                }
                // At most `lanes` requests and `lanes` recordings (database transactions) at once, and
                // no more answers waiting than that: with a fast receiver they would pile up.
                while sending < lanes, answered.count < lanes, !ready.isEmpty {
                    let batch = ready.removeFirst()
                    sending += 1
                    group.addTask { await self.send(batch, to: destination, secret: secret) }
                }
                if sending + recording == 0 { break }
                if drained || sending == lanes || answered.count >= lanes {
                    switch await group.next() {
                    case .answered(let batch, let outcome, let ms):
                        sending -= 1
                        answered.append((batch, outcome, ms))
                    case .recorded: recording -= 1
                    case nil: break
                    }
                    while recording < lanes, !answered.isEmpty {
                        let (batch, outcome, ms) = answered.removeFirst()
                        recording += 1
                        group.addTask {
                            await self.record(batch, outcome: outcome, ms: ms, destination: destination, tenant: tenant)
                            return .recorded
                        }
                    }
                    drained = false
                }
            }
            // Stopping: what the requests in flight come to is still recorded (else the batches
            // would go again when their leases run out), outside the cancelled task.
            for (batch, outcome, ms) in answered {
                await Task { await self.record(batch, outcome: outcome, ms: ms, destination: destination, tenant: tenant) }.value
            }
            while let lane = await group.next() {
                guard case .answered(let batch, let outcome, let ms) = lane else { continue }
                await Task { await self.record(batch, outcome: outcome, ms: ms, destination: destination, tenant: tenant) }.value
            }
        }
    }

    /// What a task of a delivery loop did.
    enum Lane: Sendable {
        case answered(OutboxBatch, Store.BatchOutcome, ms: Int)
        case recorded
    }

    /// Sends one batch and says what came of it (the lane is free again).
    func send(_ batch: OutboxBatch, to destination: DestinationInfo, secret: String) async -> Lane {
        let started = ContinuousClock.now
        let outcome = await Self.attempt(batch, to: destination, secret: secret, allowPrivate: settings.allowPrivate, http: http)
        let elapsed = ContinuousClock.now - started
        let ms = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        Timer(label: "rapport_delivery_duration_seconds").recordNanoseconds(Int64(ms) * 1_000_000)
        switch outcome {
        case .delivered(_, let rejected):
            Counter(label: "rapport_delivery_records_total", dimensions: [("outcome", "delivered")]).increment(by: batch.records.count - rejected.count)
            if !rejected.isEmpty { Counter(label: "rapport_delivery_records_total", dimensions: [("outcome", "rejected")]).increment(by: rejected.count) }
        case .retry:
            Counter(label: "rapport_delivery_records_total", dimensions: [("outcome", "retried")]).increment(by: batch.records.count)
        case .refused:
            Counter(label: "rapport_delivery_records_total", dimensions: [("outcome", "refused")]).increment(by: batch.records.count)
        }
        return .answered(batch, outcome, ms: ms)
    }

    /// Records what came of sending a batch.
    func record(_ batch: OutboxBatch, outcome: Store.BatchOutcome, ms: Int, destination: DestinationInfo, tenant: Tenant) async {
        do {
            try await store.finish(batch, outcome: outcome, ms: ms, retryWindow: destination.settings.retryWindow, tenant: tenant)
        } catch {
            // The lease runs out and the batch goes again, under the same key.
            store.logger.warning("a delivery could not be recorded", metadata: ["destination": "\(destination.name)", "error": "\(error)"])
        }
    }

    // MARK: One request

    /// Sends `batch` and says what came of it; never throws.
    static func attempt(_ batch: OutboxBatch, to destination: DestinationInfo, secret: String, allowPrivate: Bool,
                        http: HTTPClient) async -> Store.BatchOutcome {
        if !allowPrivate, let problem = await DestinationAddress.problem(with: destination.url, allowPrivate: false) {
            return .retry(status: nil, error: problem, retryAfter: backoff(attempt: batch.attempt))
        }
        let request: HTTPClientRequest
        do {
            request = try makeRequest(batch, to: destination, secret: secret)
        } catch {
            return .refused(status: 0, error: "the record could not be made into a request: \(error)")
        }
        do {
            let response = try await http.execute(request, timeout: .seconds(Int64(destination.settings.timeout)))
            let body = try await response.body.collect(upTo: 256 * 1024)
            let text = String(decoding: body.readableBytesView.prefix(300), as: UTF8.self)
            let status = Int(response.status.code)
            switch status {
            case 200..<300:
                return .delivered(status: status, rejected: destination.kind == .webhook ? rejections(in: body) : [])
            case 408, 429, 500..<600:
                let wait = [429, 503].contains(status) ? retryAfter(response.headers.first(name: "retry-after")) : nil
                return .retry(status: status, error: "HTTP \(status): \(text)", retryAfter: wait ?? backoff(attempt: batch.attempt))
            default:
                return .refused(status: status, error: "HTTP \(status): \(text)")
            }
        } catch {
            let reason: String
            if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .readTimeout {
                reason = "no answer within \(destination.settings.timeout) s"
            } else {
                reason = "the request failed: \(String(describing: error).prefix(200))"
            }
            return .retry(status: nil, error: reason, retryAfter: backoff(attempt: batch.attempt))
        }
    }

    /// Exponential backoff with jitter: about 1 s, 2 s, 4 s … up to 10 minutes, each between
    /// half and all of that.
    static func backoff(attempt: Int) -> Duration {
        let base = min(600.0, pow(2.0, Double(max(0, min(attempt - 1, 20)))))
        return .milliseconds(Int64(base * Double.random(in: 0.5...1.0) * 1000))
    }

    /// A Retry-After header (seconds, or an HTTP date), at most a day.
    static func retryAfter(_ header: String?) -> Duration? {
        guard let header = header?.trimmingCharacters(in: .whitespaces), !header.isEmpty else { return nil }
        if let seconds = Double(header), seconds >= 0 { return .milliseconds(Int64(min(seconds, 86_400) * 1000)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: header) else { return nil }
        return .milliseconds(Int64(max(0, min(date.timeIntervalSinceNow, 86_400)) * 1000))
    }

    /// A webhook's per-record refusals: `{"rejected": [{"message_id": "…", "error": "…"}]}`.
    static func rejections(in body: ByteBuffer) -> [(messageID: String, error: String)] {
        guard body.readableBytes > 0, let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
              let rejected = object["rejected"] as? [[String: Any]] else { return [] }
        return rejected.compactMap { entry in
            guard let id = entry["message_id"] as? String else { return nil }
            return (id, String((entry["error"] as? String ?? "rejected").prefix(200)))
        }
    }

    /// The HTTP request for `batch`: a signed JSON batch for a webhook, a Segment `batch` call
    /// for a segment destination.
    static func makeRequest(_ batch: OutboxBatch, to destination: DestinationInfo, secret: String) throws -> HTTPClientRequest {
        var request: HTTPClientRequest
        let body: String
        switch destination.kind {
        case .webhook:
            request = HTTPClientRequest(url: destination.url)
            body = #"{"destination":"# + jsonString(destination.name) + #","idempotency_key":""# + batch.key.uuidString.lowercased()
                + #"","records":["# + batch.payloads + "]}"
            let timestamp = String(Int(Date().timeIntervalSince1970))
            request.headers.add(name: "Rapport-Timestamp", value: timestamp)
            request.headers.add(name: "Rapport-Signature", value: "v1=" + signature(secret: secret, timestamp: timestamp, body: body))
        case .segment:
            var url = destination.url
            while url.hasSuffix("/") { url.removeLast() }
            request = HTTPClientRequest(url: url.hasSuffix("/v1/batch") ? url : url + "/v1/batch")
            body = try segmentBatch(batch)
            request.headers.add(name: "Authorization", value: "Basic " + Data((secret + ":").utf8).base64EncodedString())
        }
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "rapport")
        request.headers.add(name: "Idempotency-Key", value: batch.key.uuidString.lowercased())
        request.body = .bytes(ByteBuffer(string: body))
        return request
    }

    /// HMAC-SHA256 of `timestamp.body` with the destination's secret, in hex.
    public static func signature(secret: String, timestamp: String, body: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data((timestamp + "." + body).utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    static func jsonString(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }

    /// The records as Segment messages. The audience is a boolean trait named after the sync
    /// (`identify`, with the fields as traits), and/or `Audience Entered` / `Audience Exited`
    /// events (`track`, with the fields as properties), as the sync's send mode says. A
    /// profile without a user id is sent by an anonymous id made from its profile id.
    static func segmentBatch(_ batch: OutboxBatch) throws -> String {
        var messages: [[String: Any]] = []
        let payloads = try JSONSerialization.jsonObject(with: Data(("[" + batch.payloads + "]").utf8)) as? [Any] ?? []
        for (record, payload) in zip(batch.records, payloads) {
            guard let payload = payload as? [String: Any], let kind = payload["kind"] as? String, let sync = payload["sync"] as? String else {
                continue
            }
            let send = payload["send"] as? String ?? "events and traits"
            let fields = payload["fields"] as? [String: Any] ?? [:]
            var who: [String: Any] = [:]
            if let user = payload["user_id"] as? String { who["userId"] = user } else {
                who["anonymousId"] = "rapport-profile-\(payload["profile_id"].map { "\($0)" } ?? "")"
            }
            let context: [String: Any] = ["library": ["name": "rapport"], "rapport": ["sync": sync, "profile_id": payload["profile_id"] ?? NSNull()]]
            let timestamp = payload["at"] as? String ?? ""
            if send != "events" {
                var traits = kind == "exited" ? [:] : fields
                traits[sync] = kind != "exited"
                if kind != "exited", let email = payload["email"] as? String, traits["email"] == nil { traits["email"] = email }
                messages.append(who.merging(["type": "identify", "messageId": record.messageID + "-identify", "traits": traits,
                                             "timestamp": timestamp, "context": context]) { $1 })
            }
            if send != "traits", kind != "changed" {
                var properties = fields
                properties["audience"] = sync
                messages.append(who.merging(["type": "track", "event": kind == "entered" ? "Audience Entered" : "Audience Exited",
                                             "messageId": record.messageID + "-track", "properties": properties,
                                             "timestamp": timestamp, "context": context]) { $1 })
            }
        }
        let data = try JSONSerialization.data(withJSONObject: ["batch": messages, "sentAt": Timestamp.format(Timestamp.micros(Date()))])
        return String(decoding: data, as: UTF8.self)
    }
}

/// Names of work under way in this process (a delivery loop per destination, a run loop per tenant).
actor BusySet {
    var names: Set<String> = []
    func claim(_ name: String) -> Bool { names.insert(name).inserted }
    func release(_ name: String) { names.remove(name) }
}

/// At most `rate` records a second (0: no limit), smoothed over one second.
actor RateLimiter {
    let rate: Double
    var next = ContinuousClock.now

    init(rate: Double) { self.rate = rate }

    func wait(for records: Int) async {
        guard rate > 0 else { return }
        let now = ContinuousClock.now
        let start = max(next, now)
        next = start + .milliseconds(Int64(Double(records) / rate * 1000))
        if start > now { try? await Task.sleep(until: start, clock: .continuous) }
    }
}
