import Foundation
import RapportQL
import RapportStore
import RapportTestSupport
import Testing

/// Whether the CDNOW test can run (a function, as the suite's trait cannot name its own type).
func cdnowAvailable() -> Bool {
    TestDatabase.isConfigured && ProcessInfo.processInfo.environment["RAPPORT_TEST_PYTHON"] != nil
        && FileManager.default.fileExists(atPath: CDNOWTests.dataFile.path)
}

/// Customer value on real public data: the CDNOW purchase history (23,570 customers, their CD
/// purchases from January 1997 to June 1998, as the PyPI package `lifetimes` ships it;
/// scripts/setup-machine puts it in .venv/share/). `Tests/python/cdnow.py` turns it into
/// `Order Completed` events and works out, straight from the file and Grammar/README.md
/// ("Customer value", "Reports"), what Rapport must answer at now = 1998-07-01 with the
/// default value settings; the events go in through the real importer and the answers are
/// compared: numbers exactly as decimals (ratios within 1e-12), timestamps as instants.
@Suite(.enabled(if: cdnowAvailable(), "needs scripts/test's PostgreSQL and Python, and .venv/share/CDNOW_master.txt (scripts/setup-machine)"))
struct CDNOWTests {
    static let dataFile = QuerySeed.root.appendingPathComponent(".venv/share/CDNOW_master.txt")
    static let script = QuerySeed.root.appendingPathComponent("Tests/python/cdnow.py")
    /// 1998-07-01T00:00:00Z, the day after the last purchase.
    static let now = Date(timeIntervalSince1970: 899_251_200)
    static let options = QueryOptions(timeout: .seconds(120), rowCap: 30_000, now: now)


    /// `expected.json` as cdnow.py writes it; numbers that may be fractional are decimal text.
    struct Expected: Decodable {
        struct Customer: Decodable {
            var userId: String
            var orders: Int
            var revenue: String
            var firstOrder: String?
            var lastOrder: String?
            var tier: String
        }
        struct Tier: Decodable {
            var tier: String
            var profiles: Int
            var share: String?
            var value: String
            var valueShare: String?
            var minClv: String?
            var maxClv: String?
        }
        struct Retention: Decodable {
            var cohort: String
            var period: Int
            var customers: Int
            var active: Int
            var retention: String?
        }
        var lines: Int
        var profiles: Int
        var platinum: Int
        /// In order of first appearance in the file.
        var customers: [Customer]
        var tiers: [Tier]
        var retention: [Retention]
    }

    @Test func customerValueOfTheCDNOWHistory() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rapport-cdnow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let python = ProcessInfo.processInfo.environment["RAPPORT_TEST_PYTHON"]!
        let run = try await ChildProcess.run(python, [Self.script.path, Self.dataFile.path, folder.path])
        try #require(run.succeeded, "cdnow.py failed: \(run.output)")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let expected = try decoder.decode(Expected.self, from: Data(contentsOf: folder.appendingPathComponent("expected.json")))
        try #require(expected.customers.count == expected.profiles)

        try await withTestStore { store, _ in
            let tenant = try await store.createTenant(slug: uniqueSlug("cdnow"), name: "CDNOW", actor: "test")
            let rejects = folder.appendingPathComponent("rejects.ndjson").path
            let importer = Importer(store: store, tenant: tenant, options: Importer.Options(source: "cdnow", rejectsPath: rejects))
            let handle = try FileHandle(forReadingFrom: folder.appendingPathComponent("cdnow.ndjson"))
            defer { try? handle.close() }
            let summary = try await importer.run(handle, totalBytes: nil)
            try #require(summary.rejected == 0, "rejected lines: \((try? String(contentsOfFile: rejects, encoding: .utf8)) ?? "")")
            // Every line is its own event (messageId cdnow-<line>), repeated purchase lines included.
            #expect(summary.lines == expected.lines)
            #expect(summary.result.accepted == expected.lines)
            #expect(summary.result.duplicates == 0)

            func ask(_ text: String) async throws -> QueryResult {
                let results = try await store.query(text, tenant: tenant, options: Self.options)
                let result = try #require(results.last)
                #expect(!result.truncated, "`\(text)` was cut at the row cap")
                return result
            }

            // count profiles
            let count = try await ask("count profiles")
            let counted = count.rows.count == 1 && count.rows[0].count == 1 && Self.number(count.rows[0][0], String(expected.profiles))
            #expect(count.columns.map(\.name) == ["count"])
            #expect(counted, "count profiles: \(count.rows.map { $0.map(\.display) })")

            // Per customer. Rapport numbers profiles as the importer creates them, and the importer
            // goes through the file in order, so profile ids follow each customer's first
            // appearance: the rows ordered by id must be cdnow.py's customers in its order. That
            // is checked here (ids increasing, user ids in first-appearance order) before the
            // values, and it is what makes cdnow.py's tie-break for tiers the same as Rapport's
            // (clv descending, then profile id).
            let profiles = try await ask("profiles | select id, user_id, orders, revenue, first_order, last_order, tier | order by id")
            try #require(profiles.columns.map(\.name) == ["id", "user_id", "orders", "revenue", "first_order", "last_order", "tier"])
            #expect(profiles.columns.map(\.type) == [.number, .text, .number, .number, .timestamp, .timestamp, .text])
            try #require(profiles.rows.count == expected.customers.count, "profile rows")
            let ids = profiles.rows.map { $0[0].decimal }
            #expect(zip(ids, ids.dropFirst()).allSatisfy { a, b in a != nil && b != nil && a! < b! }, "profile ids increase")
            let userIDs = profiles.rows.map { row -> String? in
                guard case .text(let id) = row[1] else { return nil }
                return id
            }
            let firstDifference = userIDs.indices.first { userIDs[$0] != expected.customers[$0].userId }
            let at = firstDifference ?? 0
            try #require(firstDifference == nil, "user ids ordered by profile id are not the customers in order of first appearance: row \(at + 1) is \(userIDs[at] ?? "null"), expected \(expected.customers[at].userId)")
            var mismatches = Mismatches("per-customer values")
            for (row, customer) in zip(profiles.rows, expected.customers) {
                let fine = Self.number(row[2], String(customer.orders)) && Self.number(row[3], customer.revenue)
                    && Self.instant(row[4], customer.firstOrder) && Self.instant(row[5], customer.lastOrder)
                if !fine {
                    mismatches.add("customer \(customer.userId): rapport \(row.map(\.display)) expected orders \(customer.orders) "
                        + "revenue \(customer.revenue) first \(customer.firstOrder ?? "null") last \(customer.lastOrder ?? "null")")
                }
            }
            mismatches.report()
            var tierMismatches = Mismatches("per-customer tiers")
            for (row, customer) in zip(profiles.rows, expected.customers) where row[6] != .text(customer.tier) {
                tierMismatches.add("customer \(customer.userId): rapport \(row[6].display) expected \(customer.tier)")
            }
            tierMismatches.report()

            // show tiers
            let tiers = try await ask("show tiers")
            #expect(tiers.columns.map(\.name) == ["tier", "profiles", "share", "value", "value_share", "min_clv", "max_clv"])
            #expect(tiers.columns.map(\.type) == [.text, .number, .number, .number, .number, .number, .number])
            #expect(tiers.rows.count == expected.tiers.count, "show tiers rows: \(tiers.rows.map { $0.map(\.display) })")
            for (row, tier) in zip(tiers.rows, expected.tiers) {
                let fine = row.count == 7 && row[0] == .text(tier.tier) && Self.number(row[1], String(tier.profiles))
                    && Self.ratio(row[2], tier.share) && Self.number(row[3], tier.value) && Self.ratio(row[4], tier.valueShare)
                    && Self.number(row[5], tier.minClv) && Self.number(row[6], tier.maxClv)
                #expect(fine, "show tiers: rapport \(row.map(\.display)) expected \(tier)")
            }

            // show retention by month
            let retention = try await ask("show retention by month")
            #expect(retention.columns.map(\.name) == ["cohort", "period", "customers", "active", "retention"])
            #expect(retention.columns.map(\.type) == [.timestamp, .number, .number, .number, .number])
            #expect(retention.rows.count == expected.retention.count, "show retention rows")
            var retentionMismatches = Mismatches("show retention by month")
            for (row, cell) in zip(retention.rows, expected.retention) {
                let fine = row.count == 5 && Self.instant(row[0], cell.cohort) && Self.number(row[1], String(cell.period))
                    && Self.number(row[2], String(cell.customers)) && Self.number(row[3], String(cell.active))
                    && Self.ratio(row[4], cell.retention)
                if !fine { retentionMismatches.add("rapport \(row.map(\.display)) expected \(cell)") }
            }
            retentionMismatches.report()

            // The tier field in a filter.
            let platinum = try await ask(#"profiles | where tier = "platinum" | count"#)
            let platinumCounted = platinum.rows.count == 1 && platinum.rows[0].count == 1
                && Self.number(platinum.rows[0][0], String(expected.platinum))
            #expect(platinumCounted, "platinum count: \(platinum.rows.map { $0.map(\.display) }) expected \(expected.platinum)")
        }
    }

    // MARK: - Comparing cells

    static func decimal(_ text: String) -> Decimal? {
        Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
    }

    /// A number cell equal to `expected` (decimal text; nil: the cell is null).
    static func number(_ value: QueryValue, _ expected: String?) -> Bool {
        guard let expected else { return value == .null }
        guard case .number = value, let actual = value.decimal, let wanted = decimal(expected) else { return false }
        return actual == wanted
    }

    static let ratioTolerance = Decimal(sign: .plus, exponent: -12, significand: 1)

    /// A ratio: the spec fixes no rounding, so within 1e-12 of cdnow.py's 24-decimal value.
    static func ratio(_ value: QueryValue, _ expected: String?) -> Bool {
        guard let expected else { return value == .null }
        guard case .number = value, let actual = value.decimal, let wanted = decimal(expected) else { return false }
        return (actual - wanted).magnitude <= ratioTolerance
    }

    /// A timestamp cell at the instant `expected` names (nil: the cell is null).
    static func instant(_ value: QueryValue, _ expected: String?) -> Bool {
        guard let expected else { return value == .null }
        guard case .timestamp(let text) = value, let actual = Timestamp.parse(text) else { return false }
        return actual == Timestamp.parse(expected)
    }

    /// Records the first few mismatches of a long comparison and how many there were.
    struct Mismatches {
        let what: String
        var count = 0
        var shown: [String] = []

        init(_ what: String) { self.what = what }

        mutating func add(_ line: String) {
            count += 1
            if shown.count < 10 { shown.append(line) }
        }

        func report(sourceLocation: SourceLocation = #_sourceLocation) {
            guard count > 0 else { return }
            Issue.record("\(what): \(count) mismatches, first:\n\(shown.joined(separator: "\n"))", sourceLocation: sourceLocation)
        }
    }
}
