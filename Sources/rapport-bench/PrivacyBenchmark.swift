import ArgumentParser
import Foundation
import RapportStore

/// What privacy costs, against baselines run in the same process on the same data:
/// (a) `rapport import` into a tenant with suppressions (every message passes the gate) against
///     one without; (b) an erasure (delete, suppress, vacuum, verify) against a bare DELETE of the
///     same person's rows in one transaction; (c) an export against psql copying the same
///     person's rows out as JSON.
struct PrivacyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "privacy", abstract: "Measure erasure, export and the suppression gate.")

    @Option(help: "People in the workload.") var people = 100_000
    @Option(help: "Events (messages) in the workload, roughly.") var events = 1_000_000
    @Option(help: "People erased and exported (each timed).") var subjects = 5
    @Option(help: "Rapport's login role on the benchmark database.") var databaseURL: String
    @Option(help: "A superuser on the same database.") var superuserURL: String
    @Option(help: "The rapport executable to measure.") var rapport: String
    @Option(help: "A scratch folder.") var work = "/tmp/rapport-bench"

    func run() async throws {
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let cli = RapportCLI(path: rapport, databaseURL: databaseURL)
        say("Generating \(people) people …")
        let workload = Workload.generate(people: people, events: events)
        let file = work + "/privacy-workload.ndjson"
        try (workload.lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: false, encoding: .utf8)

        let suffix = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        let (plain, gated, baseline) = ("bench_plain_" + suffix, "bench_gated_" + suffix, "bench_base_" + suffix)
        let (plain2, gated2) = (plain + "_2", gated + "_2")
        for tenant in [plain, gated, baseline, plain2, gated2] { try cli.run(["tenants", "create", tenant]) }
        // Suppressed people in the gated tenants: their messages are dropped at the gate.
        let suppressed = stride(from: 3, to: people, by: max(1, people / 20)).prefix(20)
        for tenant in [gated, gated2] {
            for p in suppressed { try cli.run(["privacy", "suppress", "--tenant", tenant, "--email", "person\(p)@example.com"]) }
        }

        // ABBA order, so that a database growing slower with each import favours neither side.
        say("(a) import without and with suppressions (after an unmeasured first import), in the order A B B A …")
        _ = try cli.run(["import", "--tenant", baseline, "--source", "bench", file])
        var plainSeconds = try timed { try cli.run(["import", "--tenant", plain, "--source", "bench", file]) }
        var gatedSeconds = try timed { try cli.run(["import", "--tenant", gated, "--source", "bench", file]) }
        gatedSeconds += try timed { try cli.run(["import", "--tenant", gated2, "--source", "bench", file]) }
        plainSeconds += try timed { try cli.run(["import", "--tenant", plain2, "--source", "bench", file]) }
        (plainSeconds, gatedSeconds) = (plainSeconds / 2, gatedSeconds / 2)

        let chosen = (0..<subjects).map { 11 + $0 * max(1, people / max(subjects, 1)) }
        say("(c) export of \(chosen.count) people …")
        var exportSeconds = 0.0, copySeconds = 0.0, exportedEvents: Int64 = 0
        for p in chosen {
            exportSeconds += try timed {
                try cli.run(["privacy", "export", "--tenant", plain, "--email", "person\(p)@example.com", "-o", work + "/export.json"])
            }
            let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/export.json"))) as? [String: Any]
            exportedEvents += ((doc?["counts"] as? [String: Any])?["events"] as? Int).map(Int64.init) ?? 0
            copySeconds += try timed { try psql(baselineExport(tenant: baseline, person: p)) }
        }

        say("(b) erasure of the same \(chosen.count) people …")
        var eraseSeconds = 0.0, deleteSeconds = 0.0
        var phases: [String: Int64] = [:]
        for p in chosen {
            var output = ""
            eraseSeconds += try timed {
                output = try cli.run(["privacy", "erase", "--tenant", plain, "--email", "person\(p)@example.com", "--json"])
            }
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let request = try decoder.decode(PrivacyRequest.self, from: Data(output.utf8))
            guard request.status == .completed else { throw ValidationError("the erasure of person\(p) failed: \(request.error ?? "")") }
            for key in ["delete_ms", "vacuum_ms", "verify_ms", "events_deleted"] { phases[key, default: 0] += request.counts[key] ?? 0 }
            deleteSeconds += try timed { try psql(baselineDelete(tenant: baseline, person: p)) }
        }

        let rows: [(String, Double, Double)] = [
            ("import, \(workload.lines.count) messages, mean of 2 (gate vs none)", gatedSeconds, plainSeconds),
            ("export of \(chosen.count) people, \(exportedEvents) events (vs psql COPY)", exportSeconds, copySeconds),
            ("erasure of \(chosen.count) people, \(phases["events_deleted"] ?? 0) events (vs bare DELETE)", eraseSeconds, deleteSeconds),
        ]
        print("| measure | Rapport s | baseline s | ratio |")
        print("| --- | ---: | ---: | ---: |")
        for (name, ours, base) in rows { print("| \(name) | \(fmt2(ours)) | \(fmt2(base)) | \(fmt2(ours / max(base, 0.001))) |") }
        print("")
        print("Erasure phases, summed over \(chosen.count) people: delete+suppress \(phases["delete_ms"] ?? 0) ms, "
              + "vacuum \(phases["vacuum_ms"] ?? 0) ms, verification \(phases["verify_ms"] ?? 0) ms.")
    }

    func timed(_ body: () throws -> Void) throws -> Double {
        let start = Date()
        try body()
        return Date().timeIntervalSince(start)
    }

    func psql(_ sql: String) throws {
        let out = try Subprocess.run("/bin/sh", ["-c", "psql -qX -v ON_ERROR_STOP=1 '\(superuserURL)' > /dev/null <<'SQL'\n\(sql)\nSQL"])
        guard out.succeeded else { throw ValidationError("psql failed: \(out.output)") }
    }

    /// The person's live profile and the profiles merged into it.
    func profiles(_ s: String, _ p: Int) -> String {
        """
        (SELECT id FROM \(s).profiles WHERE id = (SELECT profile_id FROM \(s).identities WHERE kind = 'email' AND value = 'person\(p)@example.com')
         UNION SELECT id FROM \(s).profiles WHERE merged_into = (SELECT profile_id FROM \(s).identities WHERE kind = 'email' AND value = 'person\(p)@example.com'))
        """
    }

    func baselineExport(tenant: String, person p: Int) -> String {
        let s = "t_" + tenant
        return """
            COPY (SELECT row_to_json(e) FROM \(s).events e WHERE profile_id IN \(profiles(s, p))
                  UNION ALL SELECT row_to_json(i) FROM \(s).identities i WHERE profile_id IN \(profiles(s, p))
                  UNION ALL SELECT row_to_json(x) FROM \(s).profiles x WHERE id IN \(profiles(s, p))) TO STDOUT;
            """
    }

    func baselineDelete(tenant: String, person p: Int) -> String {
        let s = "t_" + tenant
        return """
            BEGIN;
            CREATE TEMP TABLE gone AS \(profiles(s, p));
            DELETE FROM \(s).events WHERE profile_id IN (SELECT id FROM gone) OR origin_profile_id IN (SELECT id FROM gone);
            DELETE FROM \(s).identities WHERE profile_id IN (SELECT id FROM gone);
            DELETE FROM \(s).merges WHERE survivor_id IN (SELECT id FROM gone) OR merged_id IN (SELECT id FROM gone);
            DELETE FROM \(s).group_members WHERE profile_id IN (SELECT id FROM gone);
            DELETE FROM \(s).profiles WHERE id IN (SELECT id FROM gone);
            COMMIT;
            """
    }
}

func fmt2(_ value: Double) -> String { String(format: "%.2f", value) }
