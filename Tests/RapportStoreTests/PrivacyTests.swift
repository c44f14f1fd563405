import Foundation
import RapportTestSupport
import Testing
@testable import RapportStore

/// GDPR erasure, suppression and export against PostgreSQL, checked from outside Rapport:
/// pg_dump of the whole database, superuser row counts, the export's JSON Schema.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
struct PrivacyTests {
    static let t0 = Timestamp.parse("2024-03-01T00:00:00Z")!

    static func message(_ json: String, at offset: Int64 = 0) -> IngestMessage {
        var m = try! MessageReader.line(Array(json.utf8), receivedAt: t0 + offset)
        m.source = "web"
        if !json.contains("\"timestamp\"") { m.timestamp = t0 + offset }
        return m
    }

    /// What identifies Ann, and what only Ann's profile says: none of it may survive her erasure.
    static let annSecrets = ["ann.lee@example.com", "u-ann-7781", "anon-ann-1", "anon-ann-2", "anon-ann-3",
                             "Annabelle Quorra", "Zzyzx-Springs", "+44 20 7946 0958", "442079460958"]

    /// Ann over three profiles that identify and alias calls merge, with events in the past and
    /// the future, a group, a phone; Bob and Cy beside her.
    static func seed(_ store: Store, _ tenant: Tenant) async throws {
        _ = try await store.ingest([
            message(#"{"type":"track","anonymousId":"anon-ann-1","event":"viewed","properties":{"page":"/pricing"},"timestamp":"2019-05-01T10:00:00Z","messageId":"ann-1"}"#),
            message(#"{"type":"track","anonymousId":"anon-ann-2","event":"viewed","properties":{"page":"/docs"},"timestamp":"2031-01-01T00:00:00Z","messageId":"ann-2"}"#, at: 1),
            message(#"{"type":"track","anonymousId":"anon-ann-3","event":"purchase","properties":{"amount":25},"messageId":"ann-3"}"#, at: 2),
            message(#"{"type":"identify","userId":"u-ann-7781","anonymousId":"anon-ann-1","traits":{"email":"Ann.Lee@Example.com","name":"Annabelle Quorra","city":"Zzyzx-Springs","plan":"pro","phone":"+44 20 7946 0958"},"messageId":"ann-4"}"#, at: 3),
            message(#"{"type":"identify","userId":"u-ann-7781","anonymousId":"anon-ann-2","messageId":"ann-5"}"#, at: 4),
            message(#"{"type":"alias","previousId":"anon-ann-3","userId":"u-ann-7781","messageId":"ann-6"}"#, at: 5),
            message(#"{"type":"group","userId":"u-ann-7781","groupId":"acme","traits":{"name":"Acme"},"messageId":"ann-7"}"#, at: 6),
            message(#"{"type":"identify","userId":"u-bob","traits":{"email":"bob@example.com","name":"Bob Other","plan":"pro"},"messageId":"bob-1"}"#, at: 7),
            message(#"{"type":"track","userId":"u-bob","event":"purchase","properties":{"amount":40},"messageId":"bob-2"}"#, at: 8),
            message(#"{"type":"group","userId":"u-bob","groupId":"acme","messageId":"bob-3"}"#, at: 9),
            message(#"{"type":"identify","userId":"u-cy","anonymousId":"anon-cy","traits":{"email":"cy@example.com","city":"Lyon"},"messageId":"cy-1"}"#, at: 10),
        ], tenant: tenant)
        _ = try await store.query(#"segment pros = profiles | where plan = "pro""#, tenant: tenant)
    }

    /// Rows per table that are not Ann's, told apart by the profiles they belong to.
    static func othersRows(_ database: TestDatabase, _ schema: String, ann: String) async throws -> [String: String] {
        let rows = try await database.superuserRows("""
            SELECT 'profiles', count(*)::text FROM \(schema).profiles WHERE id NOT IN (\(ann))
            UNION ALL SELECT 'identities', count(*)::text FROM \(schema).identities WHERE profile_id NOT IN (\(ann))
            UNION ALL SELECT 'events', count(*)::text FROM \(schema).events WHERE profile_id NOT IN (\(ann))
            UNION ALL SELECT 'merges', count(*)::text FROM \(schema).merges WHERE survivor_id NOT IN (\(ann))
            UNION ALL SELECT 'group_members', count(*)::text FROM \(schema).group_members WHERE profile_id NOT IN (\(ann))
            UNION ALL SELECT 'groups', count(*)::text FROM \(schema).groups
            UNION ALL SELECT 'traits', string_agg(traits::text, ';' ORDER BY id) FROM \(schema).profiles WHERE id NOT IN (\(ann))
            """)
        return Dictionary(uniqueKeysWithValues: rows.map { ($0[0]!, $0[1] ?? "") })
    }

    /// One tenant filing requests without end must not hold up the others' (issue 14): at most
    /// 100 open per tenant, and the worker takes tenants in turn.
    @Test func aFloodOfRequestsIsBoundedAndTenantsTakeTurns() async throws {
        try await withTestStore { store, database in
            let flood = try await store.createTenant(slug: uniqueSlug("flood"), name: nil, actor: "test")
            let other = try await store.createTenant(slug: uniqueSlug("other"), name: nil, actor: "test")
            for n in 0..<Store.maxOpenPrivacyRequests {
                _ = try await store.fileRequest(.suppress, subject: PrivacySubject(kind: "user_id", value: "u\(n)"), tenant: flood, actor: "test")
            }
            await #expect(throws: PrivacyError.tooManyOpen(Store.maxOpenPrivacyRequests)) {
                try await store.fileRequest(.suppress, subject: PrivacySubject(kind: "user_id", value: "one-more"), tenant: flood, actor: "test")
            }
            // Another tenant files as usual, after all of those.
            let late = try await store.fileRequest(.suppress, subject: PrivacySubject(kind: "user_id", value: "late"), tenant: other, actor: "test")
            // One pass of the worker takes 100 requests: in turn by tenant, the other tenant's only
            // request is among them, though 100 of the flood came before it.
            #expect(try await store.runOpenPrivacyRequests() == 100)
            let finished = try await store.privacyRequest(late.id, tenant: other)
            #expect(finished.status == .completed)
            let waiting = try await database.superuserRows(
                "SELECT count(*)::text FROM rapport.privacy_requests WHERE tenant_id = \(flood.id) AND status = 'pending'")
            #expect(waiting == [["1"]])
            // Once they have finished, the tenant may file again.
            _ = try await store.fileRequest(.suppress, subject: PrivacySubject(kind: "user_id", value: "one-more"), tenant: flood, actor: "test")
        }
    }

    @Test func erasureLeavesNothingOfThePersonInTheDatabase() async throws {
        try await withTestStore { store, database in
            let tenant = try await store.createTenant(slug: uniqueSlug("gdpr"), name: nil, actor: "test")
            try await Self.seed(store, tenant)
            let schema = tenant.schema
            let ann = try await database.superuserRows("""
                SELECT string_agg(id::text, ',') FROM \(schema).profiles p
                WHERE id = (SELECT profile_id FROM \(schema).identities WHERE value = 'u-ann-7781') OR merged_into IS NOT NULL
                """)[0][0]!
            #expect(ann.split(separator: ",").count == 3, "Ann is spread over three merged profiles")
            #expect(try await store.query("segment pros | where email = \"ann.lee@example.com\" | select id", tenant: tenant).last?.rows.count == 1)
            let before = try await Self.othersRows(database, schema, ann: ann)
            #expect(try await database.pgDump().contains("Annabelle Quorra"), "the check below can see Ann")

            // An earlier export, held until the erasure.
            let export = try await store.fileRequest(.export, subject: PrivacySubject(kind: "user_id", value: "u-ann-7781"), tenant: tenant, actor: "test")
            let exported = try #require(try await store.runPrivacyRequest(export.id))
            #expect(exported.status == .completed)
            #expect(exported.counts["events"] == 7)

            let filed = try await store.fileRequest(.erasure, subject: PrivacySubject(kind: "email", value: "  ANN.LEE@example.com "), tenant: tenant, actor: "key:test")
            #expect(filed.status == .pending)
            #expect(filed.subjectValue == "ann.lee@example.com")
            let erased = try #require(try await store.runPrivacyRequest(filed.id))
            #expect(erased.status == .completed, "\(erased.error ?? "")")
            #expect(erased.counts["profiles_deleted"] == 3)
            #expect(erased.counts["events_deleted"] == 7)
            #expect(erased.counts["identities_deleted"] == 6)
            #expect(erased.counts["merges_deleted"] == 2)
            #expect(erased.counts["group_members_deleted"] == 1)
            #expect(erased.counts["exports_deleted"] == 1)
            #expect(erased.counts["identifiers_suppressed"] == 6)
            #expect(erased.counts["verification_hits"] == 0)
            #expect(erased.subjectValue == nil)

            // Nothing of Ann anywhere in the database, the control schema included.
            let dump = try await database.pgDump().lowercased()
            for secret in Self.annSecrets { #expect(!dump.contains(secret.lowercased()), "pg_dump still holds \(secret)") }
            #expect(dump.contains("bob other") && dump.contains("cy@example.com"))
            // Everyone else's rows are as they were.
            #expect(try await Self.othersRows(database, schema, ann: ann) == before)
            #expect(try await store.query("count segment pros", tenant: tenant).last?.rows.first?.first == .number("1"))

            // The record and the audit log say what happened, without saying about whom.
            let audit = try await store.privacyAudit(tenant: tenant)
            #expect(audit.map(\.action) == ["privacy.export.requested", "privacy.export.completed", "privacy.erasure.requested", "privacy.erasure.completed"])
            #expect(audit.last?.counts?["events_deleted"] == 7)
            #expect(audit.allSatisfy { $0.subjectHash?.count == 64 })
            #expect(try await store.privacyRequest(export.id, tenant: tenant).subjectValue == nil)
            do {
                try await store.downloadExport(export.id, tenant: tenant, actor: "test") { _ in }
                Issue.record("the erased subject's export can still be downloaded")
            } catch let error as PrivacyError {
                #expect(error == .exportUnavailable(id: export.id, reason: "it was deleted when the subject was erased"))
            }

            // Later messages carrying any of her identifiers are dropped and counted.
            let later = try await store.ingest([
                Self.message(#"{"type":"track","userId":"u-ann-7781","event":"viewed","messageId":"later-1"}"#, at: 20),
                Self.message(#"{"type":"identify","anonymousId":"new-device","traits":{"email":"ann.lee@example.com"},"messageId":"later-2"}"#, at: 21),
                Self.message(#"{"type":"track","anonymousId":"anon-ann-2","event":"viewed","messageId":"later-3"}"#, at: 22),
                Self.message(#"{"type":"track","userId":"u-bob","event":"viewed","messageId":"later-4"}"#, at: 23),
            ], tenant: tenant)
            #expect(later.suppressed == 3)
            #expect(later.accepted == 1)
            #expect(later.profilesCreated == 0)
            #expect(try await store.privacyRequest(filed.id, tenant: tenant).counts["messages_dropped"] == 3)
            let dumped = try await database.pgDump().lowercased()
            #expect(!dumped.contains("new-device") && !dumped.contains("later-2"))

            // Unsuppress lifts it; nothing erased comes back, new data makes a new profile.
            let lifted = try #require(try await store.runPrivacyRequest(
                try await store.fileRequest(.unsuppress, subject: PrivacySubject(kind: "email", value: "ann.lee@example.com"), tenant: tenant, actor: "test").id))
            #expect(lifted.counts["identifiers_unsuppressed"] == 6)
            let back = try await store.ingest([Self.message(#"{"type":"identify","userId":"u-ann-7781","traits":{"email":"ann.lee@example.com"},"messageId":"back-1"}"#, at: 30)], tenant: tenant)
            #expect(back.accepted == 1 && back.profilesCreated == 1 && back.suppressed == 0)
            let events = try await database.superuserRows("""
                SELECT count(*)::text FROM \(schema).events e JOIN \(schema).identities i ON i.profile_id = e.profile_id WHERE i.value = 'u-ann-7781'
                """)
            #expect(events == [["1"]])
        }
    }

    @Test func erasureWhileAClientKeepsIngestingLeavesNoRows() async throws {
        try await withTestStore { store, database in
            let tenant = try await store.createTenant(slug: uniqueSlug("race"), name: nil, actor: "test")
            try await Self.seed(store, tenant)
            let stop = ManagedAtomicFlag()
            // The client: batches for Ann, past- and future-dated, through the ingestion queue as HTTP uses it.
            let queue = IngestQueue(store: store)
            let client = Task {
                var sent = 0, suppressed = 0, batch = 0, afterErasure = 0
                // Until the erasure has ended, and three batches more.
                while afterErasure < 3 {
                    if stop.isSet { afterErasure += 1 }
                    batch += 1
                    var messages: [IngestMessage] = []
                    for i in 0..<20 {
                        let ts = i % 2 == 0 ? "2015-06-01T00:00:00Z" : "2040-06-01T00:00:00Z"
                        messages.append(Self.message(i % 3 == 0
                            ? #"{"type":"identify","userId":"u-ann-7781","traits":{"email":"ann.lee@example.com","name":"Annabelle Quorra"},"timestamp":"\#(ts)","messageId":"race-\#(batch)-\#(i)"}"#
                            : #"{"type":"track","anonymousId":"anon-ann-\#(1 + i % 3)","event":"viewed","properties":{"who":"ann-race"},"timestamp":"\#(ts)","messageId":"race-\#(batch)-\#(i)"}"#))
                    }
                    let result = try await queue.submit(messages, tenant: tenant)
                    sent += messages.count
                    suppressed += result.suppressed
                }
                return (sent, suppressed)
            }
            try await Task.sleep(for: .milliseconds(300))
            let filed = try await store.fileRequest(.erasure, subject: PrivacySubject(kind: "user_id", value: "u-ann-7781"), tenant: tenant, actor: "test")
            let erased = try #require(try await store.runPrivacyRequest(filed.id))
            stop.set()
            let (sent, suppressed) = try await client.value
            #expect(erased.status == .completed, "\(erased.error ?? "")")
            #expect(sent >= 60)
            #expect(suppressed >= 60, "the batches after the erasure were dropped")
            let left = try await database.superuserRows("""
                SELECT (SELECT count(*) FROM \(tenant.schema).events WHERE props->>'who' = 'ann-race' OR message_id LIKE 'ann-%')::text,
                       (SELECT count(*) FROM \(tenant.schema).identities WHERE value IN ('u-ann-7781', 'ann.lee@example.com', 'anon-ann-1', 'anon-ann-2', 'anon-ann-3'))::text,
                       (SELECT count(*) FROM \(tenant.schema).profiles WHERE traits::text ILIKE '%annabelle%')::text
                """)
            #expect(left == [["0", "0", "0"]])
            let dump = try await database.pgDump().lowercased()
            #expect(!dump.contains("ann.lee@example.com") && !dump.contains("ann-race"))
        }
    }

    @Test func exportHoldsExactlyTheSubjectAndMatchesTheSchema() async throws {
        try await withTestStore { store, database in
            let tenant = try await store.createTenant(slug: uniqueSlug("exp"), name: "Export Ltd", actor: "test")
            try await Self.seed(store, tenant)
            try await store.setPrivacySettings(try JSONParser.parse(Array(#"""
                {"controller": "Export Ltd, 1 Main St", "purposes": ["analytics", "billing"], "categories": ["contact", "usage"],
                 "recipients": ["payment processor"], "retention": "24 months after last activity"}
                """#.utf8)), tenant: tenant, actor: "test")
            let filed = try await store.fileRequest(.export, subject: PrivacySubject(kind: "anonymous_id", value: "anon-ann-3"), tenant: tenant, actor: "test")
            let done = try #require(try await store.runPrivacyRequest(filed.id))
            #expect(done.status == .completed, "\(done.error ?? "")")
            var bytes = Data()
            try await store.downloadExport(filed.id, tenant: tenant, actor: "test") { bytes.append(contentsOf: $0.readableBytesView) }
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(filed.id).json").path
            try bytes.write(to: URL(fileURLWithPath: path))
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(try await exportSchemaProblems(path) == nil)

            let doc = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
            let events = (doc["events"] as? [[String: Any]] ?? []).compactMap { $0["message_id"] as? String }
            #expect(Set(events) == ["ann-1", "ann-2", "ann-3", "ann-4", "ann-5", "ann-6", "ann-7"])
            let identities = (doc["identities"] as? [[String: Any]] ?? []).map { "\($0["kind"]!):\($0["value"]!)" }
            #expect(Set(identities) == ["user_id:u-ann-7781", "email:ann.lee@example.com", "anonymous_id:anon-ann-1",
                                        "anonymous_id:anon-ann-2", "anonymous_id:anon-ann-3", "phone:442079460958"])
            #expect((doc["profiles"] as? [Any])?.count == 3)
            #expect((doc["merges"] as? [Any])?.count == 2)
            let traits = (doc["traits"] as? [[String: Any]] ?? [])
            #expect(traits.first { $0["name"] as? String == "city" }?["source"] as? String == "web")
            #expect((doc["segments"] as? [[String: Any]])?.map { $0["segment"] as? String } == ["pros"])
            #expect((doc["groups"] as? [[String: Any]])?.map { $0["group_id"] as? String } == ["acme"])
            #expect((doc["information"] as? [String: Any])?["retention"] as? String == "24 months after last activity")
            #expect((doc["privacy_requests"] as? [[String: Any]])?.map { $0["id"] as? String } == [filed.id])
            let text = String(decoding: bytes, as: UTF8.self)
            for other in ["bob@example.com", "u-bob", "cy@example.com", "Lyon", "bob-1"] { #expect(!text.contains(other)) }
            #expect(done.counts["events"] == 7 && done.counts["bytes"] == Int64(bytes.count))
        }
    }

    @Test func aLongHistoryIsExportedInChunks() async throws {
        try await withTestStore { store, database in
            let tenant = try await store.createTenant(slug: uniqueSlug("big"), name: nil, actor: "test")
            let padding = String(repeating: "x", count: 200)
            for batch in 0..<4 {
                _ = try await store.ingest((0..<1_500).map { i in
                    Self.message(#"{"type":"track","userId":"heavy","event":"Viewed","properties":{"n":\#(batch * 1_500 + i),"pad":"\#(padding)"},"messageId":"h-\#(batch)-\#(i)"}"#, at: Int64(batch * 1_500 + i))
                }, tenant: tenant)
            }
            let filed = try await store.fileRequest(.export, subject: PrivacySubject(kind: "user_id", value: "heavy"), tenant: tenant, actor: "test")
            let done = try #require(try await store.runPrivacyRequest(filed.id))
            #expect(done.counts["events"] == 6_000)
            let chunks = try await database.superuserRows("SELECT count(*)::text, max(length(data))::text FROM rapport.privacy_exports WHERE request_id = '\(filed.id)'")
            #expect(Int(chunks[0][0] ?? "0")! >= 2, "a history over 1 MB is written in more than one chunk")
            #expect(Int(chunks[0][1] ?? "0")! < (1 << 20) + 4_096)
            var bytes = Data()
            var writes = 0
            try await store.downloadExport(filed.id, tenant: tenant, actor: "test") {
                bytes.append(contentsOf: $0.readableBytesView)
                writes += 1
            }
            #expect(writes == Int(chunks[0][0] ?? "0"))
            let doc = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
            let ns = (doc["events"] as? [[String: Any]] ?? []).compactMap { ($0["properties"] as? [String: Any])?["n"] as? Int }
            #expect(ns == Array(0..<6_000), "every event once, in time order")
        }
    }

    @Test func verificationLooksOnlyAtItsTenantAndFindsNonASCIIValues() async throws {
        try await withTestStore { store, database in
            let a = try await store.createTenant(slug: uniqueSlug("va"), name: nil, actor: "test")
            let b = try await store.createTenant(slug: uniqueSlug("vb"), name: nil, actor: "test")
            for tenant in [a, b] {
                _ = try await store.ingest([Self.message(#"{"type":"identify","userId":"u-ida","traits":{"email":"ida@example.com","street":"Ørsted-Allé 7"},"messageId":"ida-1"}"#)], tenant: tenant)
            }
            // Another tenant's open request about the same email is not this erasure's business.
            let elsewhere = try await store.fileRequest(.export, subject: PrivacySubject(kind: "email", value: "ida@example.com"), tenant: b, actor: "test")
            // A saved segment in this tenant that names her street (non-ASCII capitals: the search
            // lower-cases as PostgreSQL does, whatever its locale).
            _ = try await store.query(#"segment ida_street = profiles | where street = "Ørsted-Allé 7""#, tenant: a)
            let blocked = try #require(try await store.runPrivacyRequest(
                try await store.fileRequest(.erasure, subject: PrivacySubject(kind: "email", value: "ida@example.com"), tenant: a, actor: "test").id))
            #expect(blocked.status == .failed)
            #expect(blocked.error?.contains("definitions 1") == true, "\(blocked.error ?? "")")
            #expect(blocked.error?.contains("rapport.") == false, "another tenant's rows are not searched")
            #expect(blocked.counts["profiles_deleted"] == 1, "the deletion itself is recorded")
            _ = try await store.query("drop segment ida_street", tenant: a)
            let erased = try #require(try await store.runPrivacyRequest(
                try await store.fileRequest(.erasure, subject: PrivacySubject(kind: "user_id", value: "u-ida"), tenant: a, actor: "test").id))
            #expect(erased.status == .completed, "\(erased.error ?? "")")
            #expect(try await store.privacyRequest(elsewhere.id, tenant: b).status == .pending)
            let other = try await database.superuserRows("SELECT count(*)::text FROM \(b.schema).identities")
            #expect(other == [["2"]])
            // The cancellation of this tenant's own pending request about her is audited.
            let audit = try await store.privacyAudit(tenant: b)
            #expect(audit.map(\.action) == ["privacy.export.requested"])
        }
    }

    @Test func requestsMoveOnlyByLegalTransitions() async throws {
        try await withTestStore { store, database in
            let tenant = try await store.createTenant(slug: uniqueSlug("st"), name: nil, actor: "test")
            let filed = try await store.fileRequest(.export, subject: PrivacySubject(kind: "email", value: "x@example.com"), tenant: tenant, actor: "test")
            let month = Calendar(identifier: .gregorian).date(byAdding: .month, value: 1, to: filed.receivedAt)!
            #expect(abs(filed.dueAt.timeIntervalSince(month)) < 1)
            let cancelled = try await store.cancelRequest(filed.id, tenant: tenant, actor: "test")
            #expect(cancelled.status == .cancelled && cancelled.subjectValue == nil)
            await #expect(throws: PrivacyError.notCancellable(id: filed.id, status: .cancelled)) {
                try await store.cancelRequest(filed.id, tenant: tenant, actor: "test")
            }
            #expect(try await store.runPrivacyRequest(filed.id) == nil, "a cancelled request does not run")
            await #expect(throws: PrivacyError.requestNotFound("pr_nope")) { try await store.privacyRequest("pr_nope", tenant: tenant) }
            // The database refuses an illegal transition whoever tries it.
            await #expect(throws: (any Error).self) {
                try await database.superuserRows("UPDATE rapport.privacy_requests SET status = 'running', subject_value = 'x' WHERE id = '\(filed.id)'")
            }
            // Bad subjects are refused before anything is recorded.
            await #expect(throws: StoreError.self) {
                try await store.fileRequest(.erasure, subject: PrivacySubject(kind: "shoe_size", value: "42"), tenant: tenant, actor: "test")
            }
            await #expect(throws: StoreError.self) {
                try await store.fileRequest(.erasure, subject: PrivacySubject(kind: "anonymous_id", value: "undefined"), tenant: tenant, actor: "test")
            }
            #expect(try await store.privacyRequests(tenant: tenant).count == 1)
            // A request left running by a process that died is resumed.
            let orphan = try await store.fileRequest(.suppress, subject: PrivacySubject(kind: "email", value: "y@example.com"), tenant: tenant, actor: "test")
            _ = try await database.superuserRows("UPDATE rapport.privacy_requests SET status = 'running', started_at = now() WHERE id = '\(orphan.id)'")
            #expect(try await store.runOpenPrivacyRequests() == 1)
            #expect(try await store.privacyRequest(orphan.id, tenant: tenant).status == .completed)
            #expect(try await store.privacyRequests(tenant: tenant, status: .completed).map(\.id) == [orphan.id])

            // A finished export is kept 30 days, then its document goes (and the audit log says so).
            let export = try await store.fileRequest(.export, subject: PrivacySubject(kind: "email", value: "y@example.com"), tenant: tenant, actor: "test")
            #expect(try await store.runPrivacyRequest(export.id)?.status == .completed)
            #expect(try await store.expireExports() == 0)
            _ = try await database.superuserRows(
                "UPDATE rapport.privacy_requests SET completed_at = now() - interval '31 days' WHERE id = '\(export.id)'")
            #expect(try await store.runOpenPrivacyRequests() == 0)
            await #expect(throws: PrivacyError.exportUnavailable(id: export.id, reason: "it expired 30 days after it was made; file a new export")) {
                try await store.downloadExport(export.id, tenant: tenant, actor: "test") { _ in }
            }
            #expect(try await store.privacyAudit(tenant: tenant).last?.action == "privacy.export.expired")
        }
    }
}

/// A flag one task sets and another reads.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
