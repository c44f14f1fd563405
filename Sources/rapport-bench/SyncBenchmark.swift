import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO
import RapportQL
import RapportServer
import RapportStore

/// A sync's run against the bare SQL that computes the same difference (`EXCEPT` both ways),
/// on the query benchmark's tenant, in one run on the same machine: a first run (every member
/// enters) and a run after 1% of the members changed a selected field. Then delivery of the
/// first run's records to a local receiver, in records per second, beside what the receiver
/// takes when sent the same batches with no Rapport in between; and the same to a receiver that
/// answers each request late, as a remote one does.
struct SyncBenchmark: Measurement {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "Measure a sync's runs against the bare EXCEPT diff, and delivery throughput.",
        discussion: "Needs the tenant `bench` of scripts/bench-query (scripts/bench-sync loads one).")

    @Option(help: "Rapport's login role on the benchmark database.") var databaseURL: String
    @Option(help: "The tenant holding the generated workload.") var tenant = "bench"
    @Option(help: "The audience.") var audience = #"profiles | where plan = "pro" and country in ("DE", "FR", "US") | select email, country, updated_at"#
    @Option(help: "Rounds of each measurement (the median is reported).") var rounds = 3
    @Option(name: .customLong("batch-size"), help: "Records per delivery request.") var batchSize = 500
    @Option(help: "Delivery requests in flight.") var concurrency = 4
    @Option(name: .customLong("slow-receiver-ms"),
            help: "A second delivery (with 2 rounds or more) to the receiver answering each request this late, as a remote one does.")
    var slowReceiverMilliseconds = 100

    func measure() async throws {
        let logger = benchLogger
        let url = try DatabaseURL(databaseURL)
        let (slug, audience, rounds, batchSize, concurrency) = (tenant, self.audience, self.rounds, batchSize, concurrency)
        let slowMilliseconds = slowReceiverMilliseconds
        try await Store.withStore(.url(url), logger: logger) { store in
            guard let tenant = try await store.tenant(slug: slug) else { throw StoreError.tenantNotFound(slug) }
            let receiver = try await Receiver.start()
            let hook = "bench_hook_\(UInt32.random(in: 0...UInt32.max))"
            var settings = DestinationSettings()
            settings.batchSize = batchSize
            settings.concurrency = concurrency
            settings.timeout = 60
            let created = try await store.addDestination(name: hook, kind: .webhook, url: "http://127.0.0.1:\(receiver.port)/hook", writeKey: nil,
                                                         settings: settings, allowPrivate: true, tenant: tenant, actor: "bench")
            let catalog = try await store.catalog(tenant: tenant)
            let (compiled, fields, problems) = RQL.audience(audience, catalog: catalog)
            guard let compiled else { throw ValidationError("The audience does not check: \(problems.map(\.message))") }

            var firstRatios: [Double] = [], firstRuns: [Double] = [], firstBare: [Double] = []
            var members: Int64 = 0
            var names: [String] = []
            for round in 0..<rounds {
                let name = "bench_sync_\(round)"
                names.append(name)
                _ = try await store.query("sync \(name) to \(hook) = \(audience) manually", tenant: tenant)
                let bare = try await Self.bareDiff(compiled, fields: fields, sync: name, store: store, tenant: tenant)
                let start = ContinuousClock.now
                let ran = try await store.runSync(name, tenant: tenant)
                let elapsed = (ContinuousClock.now - start).seconds
                members = ran.members
                say("first run \(round + 1): \(ran.entered) entered in \(ms(elapsed)); bare diff \(ms(bare))")
                firstRuns.append(elapsed); firstBare.append(bare); firstRatios.append(elapsed / bare)
            }
            // Delivery of the first sync's records (its entries, kept in its state until the
            // takes move them to the outbox). The second sync's wait, their mark set aside (for
            // the delivery to a slow receiver); the others' are dropped, as if delivered.
            let (first, second) = (names[0], names.count > 1 ? names[1] : names[0])
            let parked = try await store.withTenant(tenant) { connection in
                var parked: (Int64, String, Int64, String)?
                for try await row in try await connection.query("""
                    SELECT pending_run, pending_at, pending_from, pending_send FROM syncs
                    WHERE name = \(second) AND name <> \(first) AND pending_run IS NOT NULL
                    """, logger: store.logger).decode((Int64, String, Int64, String).self) { parked = row }
                try await connection.query("""
                    UPDATE syncs SET pending_run = NULL, pending_at = NULL, pending_from = NULL, pending_send = NULL
                    WHERE destination = \(hook) AND name <> \(first)
                    """, logger: store.logger)
                return parked
            }
            let worker = ActivationWorker(store: store, settings: ActivationSettings(worker: false, allowPrivate: true))
            let info = try await store.destination(hook, tenant: tenant)
            let (delivered, deliverSeconds) = try await Self.deliver(worker, info, secret: created.secret, receiver: receiver, store: store,
                                                                     tenant: tenant)
            // The receiver alone: the same number of records, in batches of the same size and
            // body, sent with the same concurrency straight from memory.
            let alone = try await receiver.measureAlone(records: delivered, batchSize: batchSize, concurrency: concurrency)
            // The same to a receiver that answers each request `slowMilliseconds` late, as one
            // across a network does: the second sync's records.
            var slow: (records: Int, seconds: Double, alone: Double)?
            if names.count > 1, slowMilliseconds > 0 {
                try await receiver.delay(milliseconds: slowMilliseconds)
                if let (run, at, from, send) = parked {
                    try await store.withTenant(tenant) { connection in
                        try await connection.query("""
                            UPDATE syncs SET pending_run = \(run), pending_at = \(at), pending_from = \(from), pending_send = \(send)
                            WHERE name = \(second)
                            """, logger: store.logger)
                    }
                }
                let (records, seconds) = try await Self.deliver(worker, info, secret: created.secret, receiver: receiver, store: store,
                                                                tenant: tenant)
                slow = (records, seconds, try await receiver.measureAlone(records: records, batchSize: batchSize, concurrency: concurrency))
            }
            await worker.shutdownClient()

            // 1% of the members change a selected field; a run of each sync against the bare diff.
            var changedRatios: [Double] = [], changedRuns: [Double] = [], changedBare: [Double] = []
            for (round, name) in names.enumerated() {
                try await store.withTenant(tenant) { connection in
                    try await connection.query("""
                        UPDATE profiles p SET updated_at = p.updated_at + interval '1 second'
                        WHERE p.id IN (SELECT t.profile_id FROM sync_state t JOIN syncs s ON s.id = t.sync_id
                                       WHERE s.name = \(name) ORDER BY t.profile_id LIMIT (SELECT count(*) / 100 FROM sync_state t JOIN syncs s ON s.id = t.sync_id WHERE s.name = \(name)))
                        """, logger: store.logger)
                }
                let bare = try await Self.bareDiff(compiled, fields: fields, sync: name, store: store, tenant: tenant)
                let start = ContinuousClock.now
                let ran = try await store.runSync(name, tenant: tenant)
                let elapsed = (ContinuousClock.now - start).seconds
                say("run after 1% changed \(round + 1): \(ran.changed) changed in \(ms(elapsed)); bare diff \(ms(bare))")
                changedRuns.append(elapsed); changedBare.append(bare); changedRatios.append(elapsed / bare)
            }
            for name in names { _ = try await store.query("drop sync \(name)", tenant: tenant) }
            try await store.removeDestination(hook, tenant: tenant, actor: "bench")
            await receiver.stop()

            print(render(header: ["measure", "rapport", "baseline", "ratio"], rows: [
                ["first run, \(members) members (bare EXCEPT diff)", ms(median(firstRuns)), ms(median(firstBare)), String(format: "%.2f", median(firstRatios))],
                ["run after 1% changed (bare EXCEPT diff)", ms(median(changedRuns)), ms(median(changedBare)), String(format: "%.2f", median(changedRatios))],
                ["delivery, records/s (receiver alone)", String(format: "%.0f", Double(delivered) / deliverSeconds),
                 String(format: "%.0f", alone), String(format: "%.2f", Double(delivered) / deliverSeconds / alone)],
            ] + (slow.map { slow in [[
                "delivery to a receiver answering in \(slowMilliseconds) ms, records/s (it alone)",
                String(format: "%.0f", Double(slow.records) / slow.seconds), String(format: "%.0f", slow.alone),
                String(format: "%.2f", Double(slow.records) / slow.seconds / slow.alone)]] } ?? [])))
            print("\(rounds) rounds, median; delivery of \(delivered) records in batches of \(batchSize), \(concurrency) in flight")
        }
    }

    func ms(_ seconds: Double) -> String { String(format: "%.0f ms", seconds * 1000) }

    /// Delivers the destination's records to `receiver` and says how many arrived in how many
    /// seconds, printing the requests that failed and were tried again (their backoff slows
    /// delivery down).
    static func deliver(_ worker: ActivationWorker, _ info: DestinationInfo, secret: String, receiver: Receiver, store: Store,
                        tenant: Tenant) async throws -> (records: Int, seconds: Double) {
        try await receiver.reset()
        let start = ContinuousClock.now
        await worker.deliver(info, secret: secret, tenant: tenant)
        let seconds = (ContinuousClock.now - start).seconds
        let delivered = try await receiver.records()
        let failures = try await store.withTenant(tenant) { connection in
            var failures: [String] = []
            for try await (error, n) in try await connection.query("""
                SELECT left(error, 100), count(*) FROM sync_deliveries WHERE destination = \(info.name) AND delivered = 0 AND at >= now() - make_interval(secs => \(seconds + 1))
                GROUP BY 1 ORDER BY 2 DESC
                """, logger: store.logger).decode((String?, Int64).self) { failures.append("\(n) × \(error ?? "no error")") }
            return failures
        }
        say("delivery: \(delivered) records in \(String(format: "%.0f ms", seconds * 1000))"
            + (failures.isEmpty ? "" : "; failed requests: " + failures.joined(separator: "; ")))
        return (delivered, seconds)
    }

    /// Seconds for the bare difference of the audience and the sync's state, `EXCEPT` both
    /// ways, read to the end, in a read-only transaction with the same settings as a run.
    static func bareDiff(_ audience: CompiledQuery, fields: [String], sync: String, store: Store, tenant: Tenant) async throws -> Double {
        let now = Timestamp.format(Timestamp.micros(Date()))
        let (rows, binds) = Store.audienceRows(audience, fields: fields, now: now)
        var all = binds
        all.append(sync)
        let s = "(SELECT t.profile_id, t.fields FROM sync_state t JOIN syncs y ON y.id = t.sync_id WHERE y.name = $\(all.count))"
        let query = PostgresQuery(unsafeSQL: """
            WITH a AS MATERIALIZED (\(rows)), s AS MATERIALIZED \(s)
            SELECT count(*) FROM ((SELECT * FROM a EXCEPT SELECT * FROM s) UNION ALL (SELECT * FROM s EXCEPT SELECT * FROM a)) d
            """, binds: all)
        return try await store.withTenant(tenant, readOnly: true) { connection in
            try await Store.prepareForQueries(connection, logger: store.logger)
            let start = ContinuousClock.now
            for try await _ in try await connection.query(query, logger: store.logger) {}
            return (ContinuousClock.now - start).seconds
        }
    }
}

/// `rapport-bench receiver`: a local webhook receiver in a process of its own (in the
/// benchmark's process, its JSON parsing held up the delivery worker's tasks on the shared
/// threads, which no real receiver does). It parses each body as JSON and counts the records;
/// `GET /count` says how many, `GET /body` gives the largest body it got, `POST /reset`
/// starts again, `POST /delay` (a number of milliseconds) has it answer each request that late. It prints its port and runs until its standard input closes.
struct ReceiverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "receiver", abstract: "A webhook receiver for `rapport-bench sync`.",
                                                    shouldDisplay: false)

    func run() async throws {
        let counter = Counter()
        let router = Router()
        router.post("hook") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 64 * 1024 * 1024)
            if counter.delay > 0 { try await Task.sleep(for: .milliseconds(counter.delay)) }
            let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
            counter.add((object?["records"] as? [Any])?.count ?? 0, body: body)
            return .ok
        }
        router.get("count") { _, _ in String(counter.records) }
        router.get("body") { _, _ in counter.largest }
        router.post("reset") { _, _ -> HTTPResponse.Status in
            counter.reset()
            return .ok
        }
        router.post("delay") { request, _ -> HTTPResponse.Status in
            counter.delay = Int(String(buffer: try await request.body.collect(upTo: 100))) ?? 0
            return .ok
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in
                                  FileHandle.standardOutput.write(Data("\(channel.localAddress?.port ?? 0)\n".utf8))
                              })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            group.addTask {
                // Until the benchmark closes our standard input (or dies).
                _ = await Task.detached { FileHandle.standardInput.readDataToEndOfFile() }.value
            }
            _ = try await group.next()
            group.cancelAll()
        }
    }

    final class Counter: @unchecked Sendable {
        let lock = NSLock()
        var count = 0
        var body = ByteBuffer()
        var milliseconds = 0
        /// How late each request is answered.
        var delay: Int {
            get { lock.withLock { milliseconds } }
            set { lock.withLock { milliseconds = newValue } }
        }
        func add(_ n: Int, body: ByteBuffer) {
            lock.withLock {
                count += n
                if body.readableBytes > self.body.readableBytes { self.body = body }  // a full batch
            }
        }
        var records: Int { lock.withLock { count } }
        var largest: ByteBuffer { lock.withLock { body } }
        func reset() { lock.withLock { count = 0 } }
    }
}

/// The receiver process, as the benchmark drives it.
final class Receiver: Sendable {
    let port: Int
    private let process: Process
    private let input: Pipe
    private let client = HTTPClient(eventLoopGroupProvider: .singleton)

    private init(port: Int, process: Process, input: Pipe) {
        self.port = port
        self.process = process
        self.input = input
    }

    static func start() async throws -> Receiver {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["receiver"]
        let (input, output) = (Pipe(), Pipe())
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let line = await Task.detached { () -> String in
            var bytes: [UInt8] = []
            while let byte = try? output.fileHandleForReading.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") { bytes.append(byte) }
            return String(decoding: bytes, as: UTF8.self)
        }.value
        guard let port = Int(line), port > 0 else { throw ValidationError("the receiver did not start") }
        return Receiver(port: port, process: process, input: input)
    }

    func stop() async {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        try? await client.shutdown()
    }

    private func call(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> ByteBuffer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/\(path)")
        request.method = method
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(60))
        return try await response.body.collect(upTo: 64 * 1024 * 1024)
    }

    func records() async throws -> Int { Int(String(buffer: try await call(.GET, "count"))) ?? 0 }
    func reset() async throws { _ = try await call(.POST, "reset") }
    /// Has the receiver answer each request `milliseconds` late from now on.
    func delay(milliseconds: Int) async throws { _ = try await call(.POST, "delay", body: String(milliseconds)) }

    /// Records per second the receiver takes alone: the largest body it got, sent again as many
    /// times as `records` needs, `concurrency` at a time.
    func measureAlone(records: Int, batchSize: Int, concurrency: Int) async throws -> Double {
        let body = try await call(.GET, "body")
        let perBody = ((try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])?["records"] as? [Any])?.count ?? batchSize
        let requests = max(1, records / max(1, perBody))
        let url = "http://127.0.0.1:\(port)/hook"
        let client = self.client
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<concurrency {
                group.addTask {
                    for _ in stride(from: lane, to: requests, by: concurrency) {
                        var request = HTTPClientRequest(url: url)
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(body)
                        let response = try await client.execute(request, timeout: .seconds(60))
                        _ = try await response.body.collect(upTo: 1024 * 1024)
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(requests * perBody) / (ContinuousClock.now - start).seconds
    }
}
