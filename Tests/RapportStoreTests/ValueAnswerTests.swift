import Foundation
import PostgresNIO
import RapportQL
import RapportTestSupport
import Testing
@testable import RapportStore

/// Funnels, customer-value fields and value reports, run on a tenant seeded with
/// `Tests/Fixtures/value-seed.ndjson` (made by `make-value-seed.py`), must give the answers of
/// `ValueOracle` (written from Grammar/README.md by someone who had not read the compiler):
/// same columns, same rows in the same order; numbers exact (1e-9, for ratios PostgreSQL cuts
/// at some scale) or within 0.01 where clv is discounted; timestamps as instants; durations as
/// seconds.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
struct ValueAnswerTests {
    @Test func defaultValueSettings() async throws {
        try await withTestStore { store, _ in
            let tenant = try await ValueSeed.seed(store)
            let data = try await ValueSeed.load(store, tenant)
            await Self.run(ValueCases.defaults, store: store, tenant: tenant, data: data)
        }
    }

    @Test func valueFieldsAndReports() async throws {
        try await withTestStore { store, _ in
            let tenant = try await ValueSeed.seed(store)
            let data = try await ValueSeed.load(store, tenant)
            await Self.run(ValueCases.valueAndReports, store: store, tenant: tenant, data: data)
        }
    }

    @Test func funnels() async throws {
        try await withTestStore { store, _ in
            let tenant = try await ValueSeed.seed(store)
            let data = try await ValueSeed.load(store, tenant)
            await Self.run(ValueCases.funnels, store: store, tenant: tenant, data: data)
        }
    }

    @Test func lifecycleStageOverrides() async throws {
        try await withTestStore { store, _ in
            let tenant = try await ValueSeed.seed(store)
            let data = try await ValueSeed.load(store, tenant)
            await Self.run(ValueCases.lifecycleOverrides, store: store, tenant: tenant, data: data)
        }
    }

    @Test func emptyTenant() async throws {
        try await withTestStore { store, _ in
            let tenant = try await store.createTenant(slug: uniqueSlug("ve"), name: nil, actor: "test")
            let data = try await ValueSeed.load(store, tenant)
            #expect(data.profiles.isEmpty && data.events.isEmpty)
            await Self.run(ValueCases.empty, store: store, tenant: tenant, data: data)
        }
    }

    /// rfm's scores at every number of customers from 1 to 16: each score is 1 + floor(5 s / n),
    /// whose steps fall on whole positions when n is a multiple of 5 (and ties put several
    /// customers on one side of a step), so a score one position off shows at some n. The
    /// customers come one at a time into one tenant, with tied orders, revenues and order days;
    /// a profile whose only revenue event is worth 0 is not a customer, nor is one without
    /// events. Asked alone, beside tier and grouped, from the summaries and from the events.
    @Test func rfmAtEveryNumberOfCustomers() async throws {
        try await withTestStore { store, _ in
            let tenant = try await store.createTenant(slug: uniqueSlug("vr"), name: nil, actor: "test")
            let receivedAt = Timestamp.now()
            var serial = 0
            func track(_ user: String, day: Int, _ event: String, _ properties: String) throws -> IngestMessage {
                serial += 1
                let line = #"{"type":"track","messageId":"r\#(serial)","timestamp":"2024-03-\#(String(format: "%02d", day))T09:00:00Z","userId":"\#(user)","event":"\#(event)","properties":\#(properties)}"#
                return try MessageReader.line(Array(line.utf8), receivedAt: receivedAt)
            }
            _ = try await store.ingest([try track("u-zero", day: 2, "purchase", #"{"amount":0}"#)], tenant: tenant)
            try await store.withTenant(tenant) { connection in
                _ = try await connection.query("INSERT INTO profiles (traits) VALUES ('{}'::jsonb)", logger: store.logger)
            }
            for customer in 1...16 {
                var messages: [IngestMessage] = []
                for order in 0...(customer % 3) {
                    let revenue = [30, 10, 20, 10, 50][customer % 5]
                    messages.append(try track("u-\(customer)", day: 1 + (customer * 7 + order) % 11, "Order Completed", #"{"revenue":\#(revenue)}"#))
                }
                _ = try await store.ingest(messages, tenant: tenant)
                let data = try await ValueSeed.load(store, tenant)
                let model = ValueOracle.model(data, settings: .defaults, stages: .defaults)
                #expect(model.profiles.filter { model.values[$0.id]!.orders >= 1 }.count == customer, "customers")
                let facts = model.profiles.map { model.values[$0.id]! }
                // rfm alone, beside tier, and grouped (the others, here one, counted rather than
                // read); each from the summaries and from the raw events.
                let questions: [(String, [[OracleValue]])] = [
                    ("profiles | select id, rfm | order by id",
                     zip(model.profiles, facts).map { [.number(Decimal($0.id)), .optionalText($1.rfm)] }),
                    ("profiles | select id, tier, rfm | order by id",
                     zip(model.profiles, facts).map { [.number(Decimal($0.id)), .text($1.tier), .optionalText($1.rfm)] }),
                    ("profiles | group by rfm select n = count()", model.groupCount { .optionalText($0.values.rfm) }),
                ]
                for (script, expected) in questions {
                    for summaries in [true, false] {
                        let rows = try await store.query(script, tenant: tenant, options: QueryOptions(now: ValueSeed.now), summaries: summaries)
                            .last?.rows ?? []
                        let matches = rows.count == expected.count
                            && zip(rows, expected).allSatisfy { row, oracle in zip(row, oracle).allSatisfy { Self.same($0, $1, tolerance: ValueCase.exact) } }
                        #expect(matches, "\(script) with \(customer) customers (summaries: \(summaries)): rapport \(rows.map { $0.map(\.display) }) oracle \(expected.map { $0.map(\.description) })")
                    }
                }
            }
        }
    }

    /// The seed is what the scenarios assume: every line stored, the two merges done.
    @Test func seededTenantHasTheScenarios() async throws {
        try await withTestStore { store, _ in
            let tenant = try await ValueSeed.seed(store)
            let data = try await ValueSeed.load(store, tenant)
            #expect(data.profiles.count == 120, "live profiles")
            let lines = try String(contentsOf: ValueSeed.seedFile, encoding: .utf8).split(separator: "\n").count
            #expect(data.events.count == lines, "every message is an event")
            // s37's second device and s38's email-only device merged into their users.
            for anonymous in ["a-s37-2", "a-s38-x"] {
                let owner = data.profiles.first { $0.identities.contains { $0.kind == "anonymous_id" && $0.value == anonymous } }
                #expect(owner?.identities.contains { $0.kind == "user_id" } == true, "\(anonymous) belongs to a user")
            }
        }
    }

    // MARK: Running cases

    /// Runs each case's script and compares the last result with the oracle's rows.
    static func run(_ cases: [ValueCase], store: Store, tenant: Tenant, data: OracleData) async {
        let options = QueryOptions(now: ValueSeed.now)
        for valueCase in cases {
            let model = ValueOracle.model(data, settings: valueCase.settings, stages: valueCase.stages)
            let expected = valueCase.expected(model)
            let result: QueryResult
            do {
                guard let last = try await store.query(valueCase.script, tenant: tenant, options: options).last else {
                    Issue.record("`\(valueCase.label)` gave no result: \(valueCase.script)")
                    continue
                }
                result = last
            } catch {
                Issue.record("`\(valueCase.label)` failed: \(String(reflecting: error))\n\(valueCase.script)")
                continue
            }
            let names = result.columns.map { $0.name }
            let compared = valueCase.breakdown ? Array(names.dropFirst()) : names
            #expect(compared == valueCase.columns, "columns of `\(valueCase.label)`: \(valueCase.script)")
            #expect(!result.truncated, "`\(valueCase.label)` was cut at the row cap")
            #expect(result.rows.count == expected.count,
                    "row count of `\(valueCase.label)`: rapport \(result.rows.count), oracle \(expected.count)\n\(valueCase.script)\n\(render(result.rows, expected))")
            for (index, (row, oracleRow)) in zip(result.rows, expected).enumerated() {
                let matches = row.count == oracleRow.count && zip(row, oracleRow).allSatisfy { same($0, $1, tolerance: valueCase.tolerance) }
                #expect(matches, "row \(index + 1) of `\(valueCase.label)`: rapport \(row.map(\.display)) oracle \(oracleRow.map(\.description))\n\(valueCase.script)")
                if !matches { break }
            }
        }
    }

    /// Both tables side by side (for the row-count message).
    static func render(_ rows: [[QueryValue]], _ expected: [[OracleValue]]) -> String {
        (0..<max(rows.count, expected.count)).prefix(60).map { i in
            let a = i < rows.count ? rows[i].map(\.display).joined(separator: " | ") : "-"
            let b = i < expected.count ? expected[i].map(\.description).joined(separator: " | ") : "-"
            return "  \(i + 1): rapport [\(a)]  oracle [\(b)]"
        }.joined(separator: "\n")
    }

    /// Whether Rapport's `value` is the oracle's.
    static func same(_ value: QueryValue, _ expected: OracleValue, tolerance: Decimal) -> Bool {
        switch (value, expected) {
        case (.null, .null): return true
        case (.text(let a), .text(let b)): return a == b
        case (.boolean(let a), .boolean(let b)): return a == b
        case (.number, .number(let b)), (.duration, .duration(let b)):
            guard let a = value.decimal else { return false }
            return a - b <= tolerance && b - a <= tolerance
        case (.timestamp(let text), .timestamp(let micros)): return Timestamp.parse(text) == micros
        default: return false
        }
    }
}

/// The tenant the value tests ask their questions of: `Tests/Fixtures/value-seed.ndjson`, stored
/// through the real ingestion (each line's top-level `source`, if any, as the event's source,
/// which is what `Importer` does with one source for a whole file), plus two profiles without
/// events (no message can make one), asked at a fixed now.
enum ValueSeed {
    /// 2025-01-01T00:00:00Z.
    static let now = QuerySeed.now
    static var seedFile: URL { QuerySeed.root.appendingPathComponent("Tests/Fixtures/value-seed.ndjson") }

    /// Creates a tenant and stores the seed in it.
    static func seed(_ store: Store, slug: String = uniqueSlug("v")) async throws -> Tenant {
        let tenant = try await store.createTenant(slug: slug, name: nil, actor: "test")
        let text = try String(contentsOf: seedFile, encoding: .utf8)
        var messages: [IngestMessage] = []
        let receivedAt = Timestamp.now()
        for line in text.split(separator: "\n") where !line.isEmpty {
            var message = try MessageReader.line(Array(line.utf8), receivedAt: receivedAt)
            message.source = try OracleJSON.parse(String(line))["source"]?.string
            messages.append(message)
        }
        let result = try await store.ingest(messages, tenant: tenant)
        guard result.accepted == messages.count else {
            throw TestSetupError("the value seed stored \(result.accepted) of \(messages.count) messages")
        }
        try await store.withTenant(tenant) { connection in
            _ = try await connection.query(
                PostgresQuery(unsafeSQL: #"INSERT INTO profiles (traits) VALUES ('{"plan": "free", "country": "DE"}'::jsonb), ('{}'::jsonb)"#),
                logger: store.logger)
        }
        return tenant
    }

    /// The tenant's live profiles (with their identifiers), and the events, as the oracle reads them.
    static func load(_ store: Store, _ tenant: Tenant) async throws -> OracleData {
        let (profileRows, identityRows, eventRows) = try await store.withTenant(tenant, readOnly: true) { connection in
            func texts(_ sql: String) async throws -> [String] {
                var out: [String] = []
                for try await text in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: store.logger).decode(String.self) {
                    out.append(text)
                }
                return out
            }
            let micros = { (column: String) in "((extract(epoch FROM \(column)) * 1000000)::bigint)::text" }
            let profiles = try await texts("SELECT json_build_array(id::text, merged_into::text, traits::text)::text FROM profiles ORDER BY id")
            let identities = try await texts(
                "SELECT json_build_array(kind, value, profile_id::text, \(micros("last_seen")))::text FROM identities ORDER BY kind, value")
            let events = try await texts("""
                SELECT json_build_array(message_id, profile_id::text, type, name, \(micros("ts")), source, props::text, context::text)::text
                FROM events ORDER BY message_id
                """)
            return (profiles, identities, events)
        }
        func cells(_ text: String) throws -> [String?] {
            guard case .array(let items) = try OracleJSON.parse(text) else { throw TestSetupError("not a row: \(text)") }
            return items.map { $0.string }
        }
        var mergedInto: [Int64: Int64] = [:]
        var profiles: [Int64: OracleProfile] = [:]
        for text in profileRows {
            let row = try cells(text)
            let id = Int64(row[0]!)!
            if let survivor = row[1].flatMap({ Int64($0) }) {
                mergedInto[id] = survivor
            } else {
                profiles[id] = OracleProfile(id: id, traits: try OracleJSON.parseObject(row[2]), identities: [])
            }
        }
        func live(_ id: Int64) -> Int64 {
            var id = id
            var hops = 0
            while let next = mergedInto[id], hops < 1000 { id = next; hops += 1 }
            return id
        }
        for text in identityRows {
            let row = try cells(text)
            let owner = live(Int64(row[2]!)!)
            profiles[owner]?.identities.append(OracleIdentity(kind: row[0]!, value: row[1]!, lastSeen: Int64(row[3]!)!))
        }
        var events: [OracleEvent] = []
        for text in eventRows {
            let row = try cells(text)
            let owner = live(Int64(row[1]!)!)
            guard profiles[owner] != nil else { continue }
            events.append(OracleEvent(
                id: events.count, profileID: owner, type: row[2]!, name: row[3], tsMicros: Int64(row[4]!)!, messageID: row[0]!,
                source: row[5], props: try OracleJSON.parseObject(row[6]), context: try OracleJSON.parseObject(row[7])))
        }
        return OracleData(profiles: profiles.values.sorted { $0.id < $1.id }, events: events, now: Timestamp.micros(now))
    }
}

// BEGIN CASES (Foundation and ValueOracle only)

/// One question: a whole script (its last statement's result is compared) and the oracle's answer.
struct ValueCase: Sendable {
    var label: String
    var script: String
    /// The report's column names (after the breakdown column, when `breakdown`).
    var columns: [String]
    var breakdown = false
    var tolerance: Decimal = ValueCase.exact
    var settings: OracleSettings
    var stages: OracleStageRules = .defaults
    var expected: @Sendable (OracleModel) -> [[OracleValue]]

    static let exact: Decimal = Decimal(string: "0.000000001")!
    static let cents: Decimal = Decimal(string: "0.01")!
}

enum ValueCases {
    // Column lists, as Grammar/README.md names them.
    static let valueFields = ["id", "revenue", "cost", "orders", "first_order", "last_order", "clv", "tier", "recency", "frequency",
                              "monetary", "rfm", "stage"]
    static let funnelColumns = ["step", "event", "optional", "profiles", "from_previous", "from_first", "median_time", "p90_time"]
    static let tierColumns = ["tier", "profiles", "share", "value", "value_share", "min_clv", "max_clv"]
    static let paretoColumns = ["top", "profiles", "value", "total", "share"]
    static let lifecycleColumns = ["stage", "profiles", "reached", "conversion"]
    static let retentionColumns = ["cohort", "period", "customers", "active", "retention"]
    static let chainColumns = ["stage", "measure", "key", "value"]

    static let selectValueFields = "profiles | select id, revenue, cost, orders, first_order, last_order, clv, tier, recency, frequency, monetary, rfm, stage | order by id"

    // Value settings: the statements and what the oracle makes of them.
    static let revenueAndCosts = """
        set value revenue = order_completed.revenue, purchase.amount, refund.amount;
        set value cost = acquisition_cost.amount, service_cost.amount;

        """
    static let settingsB = OracleSettings(
        revenue: [("order_completed", "revenue"), ("purchase", "amount"), ("refund", "amount")],
        cost: [("acquisition_cost", "amount"), ("service_cost", "amount")], discount: 0, tiers: [0.1, 0.16, 0.35, 0.2])
    static let scriptB = revenueAndCosts + "set value discount = 0%;\nset value tiers = 10%, 16%, 35%, 20%;\n"
    static let settingsC: OracleSettings = { var s = settingsB; s.discount = Decimal(string: "0.125")!; return s }()
    static let scriptC = revenueAndCosts + "set value discount = 12.5%;\nset value tiers = 10%, 16%, 35%, 20%;\n"
    static let settingsD: OracleSettings = { var s = settingsC; s.tiers = [0.05, 0.15, 0.3, 0.25]; return s }()
    static let scriptD = revenueAndCosts + "set value discount = 12.5%;\nset value tiers = 5%, 15%, 30%, 25%;\n"
    static let settingsE: OracleSettings = { var s = settingsB; s.tiers = [0.05, 0.15, 0.3, 0.25]; return s }()
    static let scriptE = revenueAndCosts + "set value discount = 0%;\nset value tiers = 5%, 15%, 30%, 25%;\n"

    static func plan(_ facts: OracleProfileFacts) -> OracleValue { facts.trait("plan") }

    // MARK: Default settings (a fresh tenant: revenue `Order Completed`.revenue, purchase.amount)

    static let defaults: [ValueCase] = [
        ValueCase(label: "value fields, default settings", script: selectValueFields, columns: valueFields, settings: .defaults) {
            $0.valueFieldRows()
        },
        ValueCase(label: "show tiers, default settings", script: "show tiers", columns: tierColumns, settings: .defaults) { $0.tiersReport() },
        ValueCase(label: "group by rfm, default settings", script: "profiles | group by rfm select n = count()", columns: ["rfm", "n"],
                  settings: .defaults) { $0.groupCount { .optionalText($0.values.rfm) } },
        ValueCase(label: "show lifecycle, default settings", script: "show lifecycle", columns: lifecycleColumns, settings: .defaults) {
            $0.lifecycleReport()
        },
        ValueCase(label: "show value chain, default settings", script: "show value chain", columns: chainColumns, settings: .defaults) {
            $0.valueChainReport()
        },
    ]

    // MARK: Value fields and reports

    static let valueAndReports: [ValueCase] = [
        // Revenue over three events (refunds included), two cost events, no discount.
        ValueCase(label: "value fields (revenue incl. refunds, costs)", script: scriptB + selectValueFields, columns: valueFields,
                  settings: settingsB) { $0.valueFieldRows() },
        ValueCase(label: "group by tier", script: scriptB + "profiles | group by tier select n = count()", columns: ["tier", "n"],
                  settings: settingsB) { $0.groupCount { .text($0.values.tier) } },
        // rfm without tier ranks the customers alone (tier with it ranks every profile).
        ValueCase(label: "rfm alone", script: scriptB + "profiles | select id, rfm, orders | order by id", columns: ["id", "rfm", "orders"],
                  settings: settingsB) { model in
            model.profiles.map { [.number(Decimal($0.id)), .optionalText(model.values[$0.id]!.rfm), .int(model.values[$0.id]!.orders)] }
        },
        ValueCase(label: "group by rfm", script: scriptB + "profiles | group by rfm select n = count()", columns: ["rfm", "n"],
                  settings: settingsB) { $0.groupCount { .optionalText($0.values.rfm) } },
        // With a condition, or another key, the profiles are read and joined to the ranking.
        ValueCase(label: "group by rfm, pro plan", script: scriptB + "profiles | where plan = \"pro\" | group by rfm select n = count()",
                  columns: ["rfm", "n"], settings: settingsB) { model in
            model.groupCount(of: model.allFacts.filter { $0.trait("plan") == .text("pro") }) { .optionalText($0.values.rfm) }
        },
        ValueCase(label: "group by rfm and plan", script: scriptB + "profiles | group by rfm, plan select n = count() | order by n desc, rfm, plan",
                  columns: ["rfm", "plan", "n"], settings: settingsB) { model in
            var groups: [(key: [OracleValue], n: Int)] = []
            for facts in model.allFacts {
                let key: [OracleValue] = [.optionalText(facts.values.rfm), facts.trait("plan")]
                if let i = groups.firstIndex(where: { $0.key == key }) { groups[i].n += 1 } else { groups.append((key, 1)) }
            }
            return groups.sorted { a, b in
                a.n != b.n ? a.n > b.n
                    : a.key[0] != b.key[0] ? OracleValue.ascending(a.key[0], b.key[0]) : OracleValue.ascending(a.key[1], b.key[1])
            }.map { $0.key + [.int($0.n)] }
        },
        ValueCase(label: "group by stage", script: scriptB + "profiles | group by stage select n = count()", columns: ["stage", "n"],
                  settings: settingsB) { $0.groupCount { .optionalText($0.values.stage) } },
        ValueCase(label: "count where clv > 100", script: scriptB + "count profiles where clv > 100", columns: ["count"],
                  settings: settingsB) { $0.countWhere { $0.values.clv > 100 } },
        ValueCase(label: "platinum by clv", script: scriptB + "profiles | where tier = \"platinum\" | select id, clv | order by clv desc",
                  columns: ["id", "clv"], settings: settingsB) { model in
            model.ranking.filter { model.values[$0]!.tier == "platinum" }.map { [.number(Decimal($0)), .number(model.values[$0]!.clv)] }
        },
        ValueCase(label: "show tiers", script: scriptB + "show tiers", columns: tierColumns, settings: settingsB) { $0.tiersReport() },
        ValueCase(label: "show pareto", script: scriptB + "show pareto", columns: paretoColumns, settings: settingsB) { $0.paretoReport() },
        ValueCase(label: "show pareto top 10%", script: scriptB + "show pareto top 10%", columns: paretoColumns, settings: settingsB) {
            $0.paretoReport(top: 0.1)
        },
        ValueCase(label: "show lifecycle", script: scriptB + "show lifecycle", columns: lifecycleColumns, settings: settingsB) {
            $0.lifecycleReport()
        },
        ValueCase(label: "show lifecycle by plan", script: scriptB + "show lifecycle by plan", columns: lifecycleColumns, breakdown: true,
                  settings: settingsB) { $0.lifecycleReport(by: plan) },
        ValueCase(label: "show retention by month", script: scriptB + "show retention by month", columns: retentionColumns,
                  settings: settingsB) { $0.retentionReport(.month) },
        ValueCase(label: "show retention by week since 2024-10-01", script: scriptB + "show retention by week since 2024-10-01",
                  columns: retentionColumns, settings: settingsB) { $0.retentionReport(.week, since: OracleTime.date(2024, 10, 1)) },
        ValueCase(label: "show value chain", script: scriptB + "show value chain", columns: chainColumns, settings: settingsB) {
            $0.valueChainReport()
        },

        // A 12.5% yearly discount.
        ValueCase(label: "value fields, discount 12.5%", script: scriptC + selectValueFields, columns: valueFields,
                  tolerance: ValueCase.cents, settings: settingsC) { $0.valueFieldRows() },
        ValueCase(label: "group by tier, discount 12.5%", script: scriptC + "profiles | group by tier select n = count()",
                  columns: ["tier", "n"], settings: settingsC) { $0.groupCount { .text($0.values.tier) } },
        ValueCase(label: "count where clv > 100, discount 12.5%", script: scriptC + "count profiles where clv > 100", columns: ["count"],
                  settings: settingsC) { $0.countWhere { $0.values.clv > 100 } },
        ValueCase(label: "show tiers, discount 12.5%", script: scriptC + "show tiers", columns: tierColumns, tolerance: ValueCase.cents,
                  settings: settingsC) { $0.tiersReport() },
        ValueCase(label: "show pareto, discount 12.5%", script: scriptC + "show pareto", columns: paretoColumns, tolerance: ValueCase.cents,
                  settings: settingsC) { $0.paretoReport() },
        ValueCase(label: "show value chain, discount 12.5%", script: scriptC + "show value chain", columns: chainColumns,
                  tolerance: ValueCase.cents, settings: settingsC) { $0.valueChainReport() },

        // Custom tiers, with and without the discount.
        ValueCase(label: "show tiers, tiers 5/15/30/25, discount 12.5%", script: scriptD + "show tiers", columns: tierColumns,
                  tolerance: ValueCase.cents, settings: settingsD) { $0.tiersReport() },
        ValueCase(label: "clv and tier, tiers 5/15/30/25, discount 12.5%", script: scriptD + "profiles | select id, clv, tier | order by id",
                  columns: ["id", "clv", "tier"], tolerance: ValueCase.cents, settings: settingsD) { model in
            model.profiles.map { [.number(Decimal($0.id)), .number(model.values[$0.id]!.clv), .text(model.values[$0.id]!.tier)] }
        },
        ValueCase(label: "value fields, tiers 5/15/30/25, discount 0%", script: scriptE + selectValueFields, columns: valueFields,
                  settings: settingsE) { $0.valueFieldRows() },
        ValueCase(label: "show tiers, tiers 5/15/30/25, discount 0%", script: scriptE + "show tiers", columns: tierColumns,
                  settings: settingsE) { $0.tiersReport() },
        ValueCase(label: "show pareto top 10%, tiers 5/15/30/25", script: scriptE + "show pareto top 10%", columns: paretoColumns,
                  settings: settingsE) { $0.paretoReport(top: 0.1) },
    ]

    // MARK: Funnels

    static let minute = OracleTime.minute, hour = OracleTime.hour, day = OracleTime.day

    static let PV = OracleFunnelStep("product_viewed")
    static let AC = OracleFunnelStep("added_to_cart")
    static let OC = OracleFunnelStep("order_completed")
    static let checkout = [PV, AC, OC]
    static let checkoutText = "product_viewed -> added_to_cart -> order_completed"

    static func amount(_ props: [String: OracleJSON], _ test: (Decimal) -> Bool) -> Bool { props["amount"]?.number.map(test) ?? false }
    static func campaign(_ event: OracleEvent) -> OracleValue { .optionalText(event.props["campaign"]?.string) }

    static let plain = OracleFunnel(checkout)
    static let window = OracleFunnel(checkout, within: day)
    static let stepWindows = OracleFunnel(
        [PV, OracleFunnelStep("added_to_cart", within: hour), OracleFunnelStep("coupon_applied", within: 30 * minute), OC], within: 2 * day)
    static let stepWindowsText = "product_viewed -> added_to_cart within 1 hour -> coupon_applied within 30 minutes -> order_completed within 2 days"
    static let optional = OracleFunnel(
        [PV, OracleFunnelStep("added_to_cart", within: day), OracleFunnelStep("coupon_applied", optional: true, within: hour), OC], within: 7 * day)
    static let optionalText = "product_viewed -> added_to_cart within 1 day -> optional coupon_applied within 1 hour -> order_completed within 7 days"
    static let excluding = OracleFunnel(checkout, within: 7 * day, excludes: [
        OracleFunnelStep("refund", where: { props in amount(props) { $0 <= -20 } }),
        OracleFunnelStep("page", where: { $0["path"]?.string == "/cancel" }),
    ])
    static let excludingText = checkoutText + " within 7 days exclude refund where amount <= -20 exclude page where path = \"/cancel\""
    static let withCoupon = [PV, AC, OracleFunnelStep("coupon_applied", optional: true), OC]
    static let withCouponText = "product_viewed -> added_to_cart -> optional coupon_applied -> order_completed"
    static let strict = OracleFunnel(withCoupon, order: .strict)
    static let anyOrder = OracleFunnel(withCoupon, within: 3 * day, order: .any)
    static let pages = OracleFunnel([OracleFunnelStep("page"), OracleFunnelStep("page", where: { $0["path"]?.string == "/checkout" }), OC])
    static let purchases = OracleFunnel([OracleFunnelStep("purchase"), OracleFunnelStep("purchase", where: { props in amount(props) { $0 > 50 } })])

    /// The funnel with `entry first`.
    static func entryFirst(_ funnel: OracleFunnel) -> OracleFunnel {
        var copy = funnel
        copy.entry = .first
        return copy
    }

    static func funnel(_ label: String, _ script: String, breakdown: Bool = false, settings: OracleSettings = settingsB,
                       _ expected: @escaping @Sendable (OracleModel) -> [[OracleValue]]) -> ValueCase {
        ValueCase(label: label, script: script, columns: funnelColumns, breakdown: breakdown, settings: settings, expected: expected)
    }

    static func dropped(_ label: String, _ script: String, _ expected: @escaping @Sendable (OracleModel) -> [[OracleValue]]) -> ValueCase {
        ValueCase(label: label, script: script, columns: ["id"], settings: settingsB, expected: expected)
    }

    static let funnels: [ValueCase] = [
        funnel("plain", "funnel c01 = \(checkoutText); show funnel c01") { $0.funnelReport(plain) },
        funnel("whole window", "funnel c02 = \(checkoutText) within 1 day; show funnel c02") { $0.funnelReport(window) },
        funnel("per-step windows", "funnel c03 = \(stepWindowsText); show funnel c03") { $0.funnelReport(stepWindows) },
        funnel("optional step", "funnel c04 = \(optionalText); show funnel c04") { $0.funnelReport(optional) },
        funnel("exclude with where, twice", "funnel c05 = \(excludingText); show funnel c05") { $0.funnelReport(excluding) },
        funnel("order strict", "funnel c06 = \(withCouponText) order strict; show funnel c06") { $0.funnelReport(strict) },
        funnel("order any", "funnel c07 = \(withCouponText) order any within 3 days; show funnel c07") { $0.funnelReport(anyOrder) },
        funnel("same-event page steps", "funnel c08 = page -> page where path = \"/checkout\" -> order_completed; show funnel c08") {
            $0.funnelReport(pages)
        },
        funnel("same-event purchase steps", "funnel c09 = purchase -> purchase where amount > 50; show funnel c09") {
            $0.funnelReport(purchases)
        },
        funnel("by trait in the funnel", "funnel c10 = \(checkoutText) by plan; show funnel c10", breakdown: true) {
            $0.funnelReport(plain, breakdown: .profile { plan($0) })
        },
        funnel("by trait in show funnel, overriding", "funnel c11 = \(checkoutText) by plan; show funnel c11 by country", breakdown: true) {
            $0.funnelReport(plain, breakdown: .profile { $0.trait("country") })
        },
        funnel("by props.campaign, attribute first", "funnel c12 = \(checkoutText) by props.campaign; show funnel c12", breakdown: true) {
            $0.funnelReport(plain, breakdown: .event(.first) { campaign($0) })
        },
        funnel("by props.campaign, attribute last", "funnel c13 = \(checkoutText) by props.campaign attribute last; show funnel c13",
               breakdown: true) { $0.funnelReport(plain, breakdown: .event(.last) { campaign($0) }) },
        funnel("by props.campaign, attribute step 2", "funnel c14 = \(checkoutText) by props.campaign attribute step 2; show funnel c14",
               breakdown: true) { $0.funnelReport(plain, breakdown: .event(.step(2)) { campaign($0) }) },
        funnel("by a bare event property", "funnel c15 = \(checkoutText) by category; show funnel c15", breakdown: true) {
            $0.funnelReport(plain, breakdown: .event(.first) { .optionalText($0.props["category"]?.string) })
        },
        funnel("by context.campaign.name", "funnel c16 = product_viewed -> order_completed by context.campaign.name; show funnel c16",
               breakdown: true) {
            $0.funnelReport(OracleFunnel([PV, OC]), breakdown: .event(.first) { .optionalText($0.context["campaign"]?["name"]?.string) })
        },
        funnel("by a value field (tier)", scriptB + "funnel c17 = \(checkoutText); show funnel c17 by tier", breakdown: true) {
            $0.funnelReport(plain, breakdown: .profile { .text($0.values.tier) })
        },
        funnel("since a date", "funnel c18 = \(checkoutText) within 1 day; show funnel c18 since 2024-06-01") {
            $0.funnelReport(window, range: .since(OracleTime.date(2024, 6, 1)))
        },
        funnel("since a timestamp", "funnel c19 = \(checkoutText); show funnel c19 since 2024-06-01T12:00:00Z") {
            $0.funnelReport(plain, range: .since(OracleTime.at(2024, 6, 1, 12)))
        },
        funnel("between dates", "funnel c20 = \(checkoutText); show funnel c20 between 2024-03-01 and 2024-05-31") {
            $0.funnelReport(plain, range: .between(OracleTime.date(2024, 3, 1), date: OracleTime.date(2024, 5, 31)))
        },
        funnel("between timestamps",
               "funnel c21 = \(checkoutText); show funnel c21 between 2024-03-01T00:00:00Z and 2024-05-31T23:59:58Z") {
            $0.funnelReport(plain, range: .between(OracleTime.date(2024, 3, 1), timestamp: OracleTime.at(2024, 5, 31, 23, 59, 58)))
        },
        funnel("by trait, since", "funnel c22 = \(optionalText); show funnel c22 by plan since 2024-06-01", breakdown: true) {
            $0.funnelReport(optional, breakdown: .profile { plan($0) }, range: .since(OracleTime.date(2024, 6, 1)))
        },
        funnel("optional, by campaign at step 2, between", "funnel c23 = \(optionalText) by props.campaign attribute step 2; "
               + "show funnel c23 between 2024-01-01 and 2024-08-31", breakdown: true) {
            $0.funnelReport(OracleFunnel(optional.steps, within: optional.within, breakdown: .event(.step(2)) { campaign($0) }),
                            range: .between(OracleTime.date(2024, 1, 1), date: OracleTime.date(2024, 8, 31)))
        },

        funnel("whole window, entry first", "funnel c24 = \(checkoutText) within 1 day entry first; show funnel c24") {
            $0.funnelReport(entryFirst(window))
        },
        funnel("whole window, entry every named", "funnel c25 = \(checkoutText) within 1 day entry every; show funnel c25") {
            $0.funnelReport(window)
        },
        funnel("per-step windows, entry first", "funnel c26 = \(stepWindowsText) entry first; show funnel c26") {
            $0.funnelReport(entryFirst(stepWindows))
        },
        funnel("exclude with where, twice, entry first", "funnel c27 = \(excludingText) entry first; show funnel c27") {
            $0.funnelReport(entryFirst(excluding))
        },
        funnel("order strict, entry first", "funnel c28 = \(withCouponText) order strict entry first; show funnel c28") {
            $0.funnelReport(entryFirst(strict))
        },
        funnel("order any, entry first", "funnel c29 = \(withCouponText) entry first order any within 3 days; show funnel c29") {
            $0.funnelReport(entryFirst(anyOrder))
        },
        funnel("since a date, entry first", "funnel c30 = \(checkoutText) within 1 day entry first; show funnel c30 since 2024-06-01") {
            $0.funnelReport(entryFirst(window), range: .since(OracleTime.date(2024, 6, 1)))
        },
        funnel("whole window, by props.campaign, attribute last",
               "funnel c31 = \(checkoutText) within 1 day by props.campaign attribute last; show funnel c31", breakdown: true) {
            $0.funnelReport(OracleFunnel(checkout, within: day, breakdown: .event(.last) { campaign($0) }))
        },
        funnel("whole window, by props.campaign, attribute last, entry first",
               "funnel c32 = \(checkoutText) within 1 day by props.campaign attribute last entry first; show funnel c32", breakdown: true) {
            $0.funnelReport(OracleFunnel(checkout, within: day, breakdown: .event(.last) { campaign($0) }, entry: .first))
        },

        dropped("plain dropped at 1", "funnel d01 = \(checkoutText); funnel d01 dropped at 1 | select id") { $0.dropped(plain, at: 1) },
        dropped("plain dropped at 2", "funnel d02 = \(checkoutText); funnel d02 dropped at 2 | select id") { $0.dropped(plain, at: 2) },
        dropped("optional dropped at 1", "funnel d03 = \(optionalText); funnel d03 dropped at 1 | select id") { $0.dropped(optional, at: 1) },
        dropped("optional dropped at 2", "funnel d04 = \(optionalText); funnel d04 dropped at 2 | select id") { $0.dropped(optional, at: 2) },
        dropped("optional dropped at 3", "funnel d05 = \(optionalText); funnel d05 dropped at 3 | select id") { $0.dropped(optional, at: 3) },
        dropped("strict dropped at 1", "funnel d06 = \(withCouponText) order strict; funnel d06 dropped at 1 | select id") {
            $0.dropped(strict, at: 1)
        },
        dropped("strict dropped at 2", "funnel d07 = \(withCouponText) order strict; funnel d07 dropped at 2 | select id") {
            $0.dropped(strict, at: 2)
        },
        dropped("strict dropped at 3", "funnel d08 = \(withCouponText) order strict; funnel d08 dropped at 3 | select id") {
            $0.dropped(strict, at: 3)
        },
        dropped("any dropped at 1", "funnel d09 = \(withCouponText) order any within 3 days; funnel d09 dropped at 1 | select id") {
            $0.dropped(anyOrder, at: 1)
        },
        dropped("any dropped at 2", "funnel d10 = \(withCouponText) order any within 3 days; funnel d10 dropped at 2 | select id") {
            $0.dropped(anyOrder, at: 2)
        },
        dropped("any dropped at 3", "funnel d11 = \(withCouponText) order any within 3 days; funnel d11 dropped at 3 | select id") {
            $0.dropped(anyOrder, at: 3)
        },
        dropped("exclude dropped at 1", "funnel d12 = \(excludingText); funnel d12 dropped at 1 | select id") { $0.dropped(excluding, at: 1) },
        dropped("exclude dropped at 2", "funnel d13 = \(excludingText); funnel d13 dropped at 2 | select id") { $0.dropped(excluding, at: 2) },
        dropped("windows dropped at 2", "funnel d14 = \(stepWindowsText); funnel d14 dropped at 2 | select id") {
            $0.dropped(stepWindows, at: 2)
        },
        dropped("windows dropped at 3", "funnel d15 = \(stepWindowsText); funnel d15 dropped at 3 | select id") {
            $0.dropped(stepWindows, at: 3)
        },
        dropped("whole window dropped at 1", "funnel d16 = \(checkoutText) within 1 day; funnel d16 dropped at 1 | select id") {
            $0.dropped(window, at: 1)
        },
        dropped("whole window dropped at 2", "funnel d17 = \(checkoutText) within 1 day; funnel d17 dropped at 2 | select id") {
            $0.dropped(window, at: 2)
        },
        dropped("whole window, entry first, dropped at 1",
                "funnel d18 = \(checkoutText) within 1 day entry first; funnel d18 dropped at 1 | select id") {
            $0.dropped(entryFirst(window), at: 1)
        },
        dropped("whole window, entry first, dropped at 2",
                "funnel d19 = \(checkoutText) within 1 day entry first; funnel d19 dropped at 2 | select id") {
            $0.dropped(entryFirst(window), at: 2)
        },
        dropped("exclude, entry first, dropped at 1", "funnel d20 = \(excludingText) entry first; funnel d20 dropped at 1 | select id") {
            $0.dropped(entryFirst(excluding), at: 1)
        },
        dropped("strict, entry first, dropped at 2",
                "funnel d21 = \(withCouponText) order strict entry first; funnel d21 dropped at 2 | select id") {
            $0.dropped(entryFirst(strict), at: 2)
        },
        dropped("any, entry first, dropped at 2",
                "funnel d22 = \(withCouponText) order any within 3 days entry first; funnel d22 dropped at 2 | select id") {
            $0.dropped(entryFirst(anyOrder), at: 2)
        },
    ]

    // MARK: Lifecycle overrides (cumulative, in this order)

    static let retentionRule: @Sendable (OracleProfileFacts) -> Bool = { facts in
        facts.events.contains { $0.type == "track" && $0.name == "purchase" && $0.tsMicros >= facts.now - 60 * OracleTime.day && $0.tsMicros <= facts.now }
    }
    static let inspireRule: @Sendable (OracleProfileFacts) -> Bool = { facts in
        facts.did("nps", where: { ($0["score"]?.number).map { $0 >= 7 } ?? false })
    }
    static let retentionOverride = OracleStageRules.defaults.overriding("retention", retentionRule)
    static let bothOverrides = retentionOverride.overriding("inspire", inspireRule)
    static let retentionText = "lifecycle stage retention = did purchase within 60 days;\n"
    static let inspireText = "lifecycle stage inspire = did nps where score >= 7;\n"

    static let lifecycleOverrides: [ValueCase] = [
        ValueCase(label: "stage with retention overridden", script: scriptB + retentionText + "profiles | select id, stage | order by id",
                  columns: ["id", "stage"], settings: settingsB, stages: retentionOverride) { model in
            model.profiles.map { [.number(Decimal($0.id)), .optionalText(model.values[$0.id]!.stage)] }
        },
        ValueCase(label: "show lifecycle, retention overridden", script: scriptB + retentionText + "show lifecycle", columns: lifecycleColumns,
                  settings: settingsB, stages: retentionOverride) { $0.lifecycleReport() },
        ValueCase(label: "where stage = retention, overridden", script: scriptB + retentionText + "profiles | where stage = \"retention\" | select id",
                  columns: ["id"], settings: settingsB, stages: retentionOverride) { $0.ids { $0.values.stage == "retention" } },
        ValueCase(label: "show value chain, retention overridden", script: scriptB + retentionText + "show value chain",
                  columns: chainColumns, settings: settingsB, stages: retentionOverride) { $0.valueChainReport() },
        ValueCase(label: "show lifecycle by plan, retention and inspire overridden",
                  script: scriptB + retentionText + inspireText + "show lifecycle by plan", columns: lifecycleColumns, breakdown: true,
                  settings: settingsB, stages: bothOverrides) { $0.lifecycleReport(by: plan) },
        ValueCase(label: "stage with retention and inspire overridden",
                  script: scriptB + retentionText + inspireText + "profiles | select id, stage | order by id",
                  columns: ["id", "stage"], settings: settingsB, stages: bothOverrides) { model in
            model.profiles.map { [.number(Decimal($0.id)), .optionalText(model.values[$0.id]!.stage)] }
        },
    ]

    // MARK: An empty tenant

    static let empty: [ValueCase] = [
        ValueCase(label: "show tiers, empty", script: "show tiers", columns: tierColumns, settings: .defaults) { $0.tiersReport() },
        ValueCase(label: "show pareto, empty", script: "show pareto", columns: paretoColumns, settings: .defaults) { $0.paretoReport() },
        ValueCase(label: "show lifecycle, empty", script: "show lifecycle", columns: lifecycleColumns, settings: .defaults) {
            $0.lifecycleReport()
        },
        ValueCase(label: "show retention by month, empty", script: "show retention by month", columns: retentionColumns,
                  settings: .defaults) { $0.retentionReport(.month) },
        ValueCase(label: "show value chain, empty", script: "show value chain", columns: chainColumns, settings: .defaults) {
            $0.valueChainReport()
        },
        ValueCase(label: "show funnel, empty", script: "funnel e1 = any -> any within 1 day; show funnel e1", columns: funnelColumns,
                  settings: .defaults) { $0.funnelReport(OracleFunnel([OracleFunnelStep("any"), OracleFunnelStep("any")], within: OracleTime.day)) },
    ]
}

// END CASES

extension OracleModel {
    /// `groupCount` over some of the profiles.
    func groupCount(of facts: [OracleProfileFacts], _ key: (OracleProfileFacts) -> OracleValue) -> [[OracleValue]] {
        var groups: [(OracleValue, Int)] = []
        for fact in facts {
            let k = key(fact)
            if let i = groups.firstIndex(where: { $0.0 == k }) { groups[i].1 += 1 } else { groups.append((k, 1)) }
        }
        return groups.sorted { OracleValue.ascending($0.0, $1.0) }.map { [$0.0, .int($0.1)] }
    }
}
