import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import PostgresNIO
import RapportStore

/// Ingestion throughput, three ways in one run on the same machine and data:
/// (a) HTTP `/v1/batch` with several concurrent clients, (b) `rapport import`, (c) PostgreSQL's
/// own COPY of the same final rows into the same tables (the physical limit).
struct IngestBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ingest", abstract: "Measure ingestion against raw COPY.")

    @Option(help: "People in the workload.") var people = 100_000
    @Option(help: "Events (messages) in the workload, roughly.") var events = 1_000_000
    @Option(help: "Concurrent HTTP clients.") var clients = 8
    @Option(help: "Messages per /v1/batch request.") var batch = 500
    @Option(help: "Rapport's login role on the benchmark database.") var databaseURL: String
    @Option(help: "A superuser on the same database (for COPY TO and catalogue reads).") var superuserURL: String
    @Option(help: "The rapport executable to measure.") var rapport: String
    @Option(help: "A scratch folder.") var work = "/tmp/rapport-bench"

    func run() async throws {
        let logger = benchLogger
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let cli = RapportCLI(path: rapport, databaseURL: databaseURL)

        say("Generating \(people) people …")
        let workload = Workload.generate(people: people, events: events)
        let file = work + "/workload.ndjson"
        try (workload.lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: false, encoding: .utf8)
        let bytes = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        say("\(workload.lines.count) messages, \(bytes / 1_000_000) MB, \(workload.mergingPeople) people (\(workload.mergingPeople * 100 / people)%) need a merge")

        let suffix = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        let (httpTenant, importTenant, copyTenant) = ("bench_http_" + suffix, "bench_import_" + suffix, "bench_copy_" + suffix)
        for tenant in [httpTenant, importTenant, copyTenant] { try cli.run(["tenants", "create", tenant]) }
        let key = try cli.run(["keys", "create", "--tenant", httpTenant, "--scopes", "ingest", "--source", "bench"])
            .trimmingCharacters(in: .whitespacesAndNewlines)

        // (a) HTTP.
        let port = Int.random(in: 20_000..<40_000)
        let server = try Subprocess.spawn(rapport, ["serve", "--port", "\(port)", "--database-url", databaseURL, "--log-level", "warning"],
                                          outputPath: work + "/serve.log")
        defer { kill(server, SIGTERM); Subprocess.wait(server) }
        try await waitForReady(port: port)
        say("(a) HTTP: \(clients) clients posting batches of \(batch) …")
        let (pgBefore, selfBefore) = (postgresCPUSeconds(), cpuSeconds(getpid()))
        let httpSeconds = try await postAll(workload.lines, port: port, key: key)
        let (pgCPU, clientCPU) = (postgresCPUSeconds() - pgBefore, cpuSeconds(getpid()) - selfBefore)
        let serverPeakMB = peakRSS(server) / 1024
        let serverCPU = cpuSeconds(server)
        let steps = try await ingestSteps(port: port)
        let transactions = try await metric(port: port, "rapport_ingest_step_seconds_count{step=\"identifiers\"}")
        let (hits, misses) = (try await metric(port: port, "rapport_identity_cache_hits_total"), try await metric(port: port, "rapport_identity_cache_misses_total"))
        say("    identity cache: \(Int(hits)) hits, \(Int(misses)) misses")
        say("    \(fmt(httpSeconds)) s; CPU: server \(fmt(serverCPU)) s, PostgreSQL \(fmt(pgCPU)) s, clients \(fmt(clientCPU)) s; \(Int(transactions)) transactions; time in them by step:")
        for (step, seconds) in steps { say("      \(step): \(fmt(seconds)) s") }

        // (b) rapport import.
        say("(b) rapport import …")
        let importStart = Date()
        _ = try cli.run(["import", "--tenant", importTenant, "--source", "bench", file])
        let importSeconds = Date().timeIntervalSince(importStart)
        say("    \(fmt(importSeconds)) s")

        // (c) COPY of the final rows of (a) into the same tables of a fresh tenant.
        say("(c) raw COPY of the same final rows …")
        let tables = ["profiles", "identities", "events", "merges", "identity_conflicts", "groups", "group_members", "catalogue"]
        var dumps: [String: ByteBuffer] = [:]
        for table in tables {
            let out = try Subprocess.run("/bin/sh", ["-c", "psql -qX '\(superuserURL)' -c \"COPY t_\(httpTenant).\(table) TO STDOUT\" > '\(work)/\(table).copy'"])
            guard out.succeeded else { throw ValidationError("COPY TO failed: \(out.output)") }
            dumps[table] = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: "\(work)/\(table).copy")))
        }
        let copySeconds = try await copyIn(dumps, tables: tables, tenant: copyTenant, logger: logger)
        say("    \(fmt(copySeconds)) s")

        // The three must agree, and match the people generated.
        let check = try Subprocess.run("/bin/sh", ["-c", """
            psql -qXAt '\(superuserURL)' -c "SELECT \(["http": httpTenant, "import": importTenant, "copy": copyTenant].sorted { $0.key < $1.key }.map { name, t in
                "'\(name) ' || (SELECT count(*) FROM t_\(t).events) || ' events, ' || (SELECT count(*) FROM t_\(t).profiles WHERE merged_into IS NULL AND EXISTS (SELECT 1 FROM t_\(t).identities i WHERE i.profile_id = profiles.id)) || ' people, ' || (SELECT count(*) FROM t_\(t).merges) || ' merges'"
            }.joined(separator: " || E'\\n' || "))"
            """])
        say(check.output.trimmingCharacters(in: .whitespacesAndNewlines))

        let n = Double(workload.lines.count)
        print("""

            Ingestion of \(workload.lines.count) messages (\(people) people, \(workload.mergingPeople) needing a merge), \(ProcessInfo.processInfo.activeProcessorCount) cores
            | method | seconds | events/s | share of raw COPY |
            | --- | ---: | ---: | ---: |
            | raw COPY of the final rows (c) | \(fmt(copySeconds)) | \(Int(n / copySeconds)) | 100% |
            | HTTP /v1/batch, \(clients) clients (a) | \(fmt(httpSeconds)) | \(Int(n / httpSeconds)) | \(Int((copySeconds / httpSeconds * 100).rounded()))% |
            | rapport import (b) | \(fmt(importSeconds)) | \(Int(n / importSeconds)) | \(Int((copySeconds / importSeconds * 100).rounded()))% |
            Server during (a): peak memory (VmHWM) \(serverPeakMB) MB, CPU \(fmt(serverCPU)) s
            """)
    }

    func postAll(_ lines: [String], port: Int, key: String) async throws -> Double {
        let client = HTTPClient.shared
        let batches = stride(from: 0, to: lines.count, by: batch).map { i in
            ByteBuffer(string: "{\"batch\":[" + lines[i..<min(i + batch, lines.count)].joined(separator: ",") + "]}")
        }
        let auth = "Basic " + Data("\(key):".utf8).base64EncodedString()
        let next = Counter()
        let started = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    while let i = await next.take(below: batches.count) {
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/batch")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: auth)
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(batches[i])
                        while true {
                            let response = try await client.execute(request, timeout: .seconds(120))
                            let body = try await response.body.collect(upTo: 1 << 20)
                            if response.status == .serviceUnavailable || response.status == .tooManyRequests {
                                try await Task.sleep(for: .milliseconds(200))
                                continue
                            }
                            guard response.status == .ok else {
                                throw ValidationError("batch \(i): \(response.status) \(String(buffer: body))")
                            }
                            break
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        return Date().timeIntervalSince(started)
    }

    func copyIn(_ dumps: [String: ByteBuffer], tables: [String], tenant: String, logger: Logger) async throws -> Double {
        var quiet = logger
        quiet.logLevel = .error
        return try await Store.withRunningStore(try DatabaseURL(databaseURL).clientConfiguration, logger: logger, poolLogger: quiet,
                                                migrate: false) { store in
            let started = Date()
            try await store.client.withConnection { connection in
                try await connection.query("BEGIN", logger: logger)
                try await connection.query("SET LOCAL ROLE \(unescaped: quoteIdentifier("t_" + tenant))", logger: logger)
                try await connection.query("SET LOCAL search_path TO \(unescaped: quoteIdentifier("t_" + tenant))", logger: logger)
                for table in tables {
                    let data = dumps[table]!
                    try await connection.copyFrom(table: table, logger: logger) { writer in try await writer.write(data) }
                }
                try await connection.query("COMMIT", logger: logger)
            }
            return Date().timeIntervalSince(started)
        }
    }

    func waitForReady(port: Int) async throws {
        let client = HTTPClient.shared
        for _ in 0..<600 {
            if let response = try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/readyz"), timeout: .seconds(2)),
               response.status == .ok { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ValidationError("the server did not start; see \(work)/serve.log")
    }
}

/// Hands out batch numbers to the clients.
actor Counter {
    var value = 0
    func take(below limit: Int) -> Int? {
        guard value < limit else { return nil }
        defer { value += 1 }
        return value
    }
}

/// The `rapport` CLI against the benchmark database.
struct RapportCLI {
    let path: String
    let databaseURL: String

    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("bench-cli-\(UUID().uuidString)").path
        defer { unlink(out) }
        let pid = try Subprocess.spawn("/bin/sh", ["-c", "exec \"$0\" \"$@\" > '\(out)' 2>>'\(out).err'", path]
                                       + arguments + ["--database-url", databaseURL, "--log-level", "warning"])
        let status = Subprocess.wait(pid)
        let err = (try? String(contentsOfFile: out + ".err", encoding: .utf8)) ?? ""
        unlink(out + ".err")
        guard status == 0 || (arguments.first == "import" && status == 3) else {
            throw ValidationError("rapport \(arguments.joined(separator: " ")) failed (\(status)): \(err)")
        }
        return (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    }
}

extension IngestBenchmark {
    /// One sample's value from the server's /metrics.
    func metric(port: Int, _ name: String) async throws -> Double {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 16 << 20))
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") { return Double(line.split(separator: " ").last ?? "") ?? 0 }
        return 0
    }

    /// Seconds spent in each step of the ingestion transactions, from the server's /metrics.
    func ingestSteps(port: Int) async throws -> [(String, Double)] {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 16 << 20))
        var steps: [(String, Double)] = []
        for line in text.split(separator: "\n") where line.hasPrefix("rapport_ingest_step_seconds_sum{") {
            guard let open = line.firstIndex(of: "\""), let close = line[line.index(after: open)...].firstIndex(of: "\""),
                  let value = Double(line.split(separator: " ").last ?? "") else { continue }
            steps.append((String(line[line.index(after: open)..<close]), value))
        }
        return steps.sorted { $0.1 > $1.1 }
    }
}

/// CPU seconds of every live PostgreSQL process (its connections persist through a run).
func postgresCPUSeconds() -> Double {
    let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
    return pids.reduce(0) { total, pid in
        guard let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8), comm.hasPrefix("postgres") else { return total }
        return total + cpuSeconds(pid)
    }
}

/// User plus system CPU seconds of a live process.
func cpuSeconds(_ pid: pid_t) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return 0 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // Fields after the command: state is 0, utime 11, stime 12 (in clock ticks).
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// Peak resident memory of a process, in kB.
func peakRSS(_ pid: pid_t) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
    return 0
}

func fmt(_ seconds: Double) -> String { String(format: "%.1f", seconds) }

func say(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

/// The benchmarks' logger: warnings and worse, so that progress lines stay readable.
let benchLogger: Logger = {
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    return logger
}()

/// A benchmark whose failure is printed with its whole error before it is thrown (an hour's
/// run should say why it stopped).
protocol Measurement: AsyncParsableCommand {
    func measure() async throws
}

extension Measurement {
    func run() async throws {
        do {
            try await measure()
        } catch {
            say("failed: \(String(reflecting: error))")
            throw error
        }
    }
}
