import Foundation
import RapportTestSupport
import Testing
@testable import RapportStore

/// Identity resolution against PostgreSQL.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs scripts/test's PostgreSQL"))
struct IdentityStoreTests {
    static let t0 = Timestamp.parse("2024-01-01T00:00:00Z")!

    /// A message from JSON text, as an integration would send it.
    static func message(_ json: String, source: String? = "web", at offset: Int64 = 0) -> IngestMessage {
        var m = try! MessageReader.line(Array(json.utf8), receivedAt: t0 + offset)
        m.source = source
        if !json.contains("\"timestamp\"") { m.timestamp = t0 + offset }
        return m
    }

    /// kind:value -> live profile id.
    func partition(_ store: Store, _ tenant: Tenant) async throws -> [String: Int64] {
        try await store.withTenant(tenant, readOnly: true) { connection in
            var result: [String: Int64] = [:]
            let rows = try await connection.query("""
                SELECT i.kind || ':' || i.value, i.profile_id FROM identities i JOIN profiles p ON p.id = i.profile_id
                WHERE p.merged_into IS NULL
                """, logger: store.logger)
            for try await (key, id) in rows.decode((String, Int64).self) { result[key] = id }
            return result
        }
    }

    @Test func blockedValuesNeverJoinProfiles() async throws {
        try await withTestStore { store, _ in
            let tenant = try await store.createTenant(slug: uniqueSlug(), name: nil, actor: "test")
            let messages = ["a", "b", "c"].map { user in
                Self.message(#"{"type":"identify","userId":"\#(user)","anonymousId":"undefined","traits":{"email":"null"}}"#)
            }
            let result = try await store.ingest(messages, tenant: tenant)
            #expect(result.merges == 0)
            let p = try await partition(store, tenant)
            #expect(Set(p.keys) == ["user_id:a", "user_id:b", "user_id:c"])
            #expect(Set(p.values).count == 3)
        }
    }

    @Test func limitsStopABadMergeAndRecordTheConflict() async throws {
        try await withTestStore { store, database in
            let tenant = try await store.createTenant(slug: uniqueSlug(), name: nil, actor: "test")
            // A shared computer: two users log in on the same device.
            _ = try await store.ingest([
                Self.message(#"{"type":"identify","userId":"alice","anonymousId":"shared-pc"}"#, at: 1),
                Self.message(#"{"type":"identify","userId":"bob","anonymousId":"shared-pc"}"#, at: 2),
            ], tenant: tenant)
            let p = try await partition(store, tenant)
            #expect(p["user_id:alice"] != p["user_id:bob"])
            #expect(p["anonymous_id:shared-pc"] == p["user_id:alice"])
            let conflicts = try await database.superuserRows("SELECT kind, value, reason FROM \(tenant.schema).identity_conflicts")
            #expect(conflicts == [["anonymous_id", "shared-pc", "merging would give a profile more than 1 `user_id` identifiers"]])
            // Bob's event is still Bob's.
            let owners = try await database.superuserRows("""
                SELECT count(DISTINCT profile_id)::text FROM \(tenant.schema).events
                """)
            #expect(owners == [["2"]])
        }
    }

    @Test func aCustomKindWithItsOwnLimit() async throws {
        try await withTestStore { store, _ in
            let tenant = try await store.createTenant(slug: uniqueSlug(), name: nil, actor: "test")
            var kinds = IdentityRules.defaults.kinds
            kinds.append(IdentityKind(name: "crm_id", priority: 2, limit: 1, normalization: .trim))
            kinds[kinds.firstIndex { $0.name == "email" }!].limit = 1
            try await store.setIdentityKinds(kinds, tenant: tenant, actor: "test")
            _ = try await store.ingest([
                Self.message(#"{"type":"identify","anonymousId":"d1","context":{"externalIds":[{"id":"C-1","type":"crm_id"}]},"traits":{"email":"a@x.io"}}"#),
                Self.message(#"{"type":"identify","anonymousId":"d1","traits":{"email":"b@x.io"}}"#),
            ], tenant: tenant)
            let p = try await partition(store, tenant)
            #expect(p["crm_id:C-1"] == p["anonymous_id:d1"])
            #expect(p["email:a@x.io"] == p["anonymous_id:d1"])
            // A second email cannot join a profile limited to one: it decides a profile of its own.
            #expect(p["email:b@x.io"] != nil && p["email:b@x.io"] != p["anonymous_id:d1"])
            await #expect(throws: StoreError.self) {
                try await store.setIdentityKinds(kinds.filter { $0.name != "user_id" }, tenant: tenant, actor: "test")
            }
        }
    }

    @Test func traitsFollowSourcePrecedenceThenRecency() async throws {
        try await withTestStore { store, _ in
            let tenant = try await store.createTenant(slug: uniqueSlug(), name: nil, actor: "test")
            try await store.setSourcePrecedence(["crm"], tenant: tenant)
            _ = try await store.ingest([
                Self.message(#"{"type":"identify","userId":"u","traits":{"plan":"free","city":"Oslo"}}"#, source: "web", at: 1),
                Self.message(#"{"type":"identify","userId":"u","traits":{"plan":"enterprise"}}"#, source: "crm", at: 2),
            ], tenant: tenant)
            _ = try await store.ingest([
                Self.message(#"{"type":"identify","userId":"u","traits":{"plan":"pro","city":"Bergen"}}"#, source: "web", at: 3),
            ], tenant: tenant)
            let id = try #require(try await store.lookupProfile(kind: "user_id", value: "u", tenant: tenant))
            guard case .found(let profile) = try await store.profile(id, tenant: tenant) else { Issue.record("no profile"); return }
            #expect(profile.traits["plan"]?.value.text == #""enterprise""#, "the CRM outranks the web site")
            #expect(profile.traits["plan"]?.source == "crm")
            #expect(profile.traits["city"]?.value.text == #""Bergen""#, "same source: the most recent wins")
        }
    }

    @Test func unmergeRestoresThePreMergePartition() async throws {
        try await withTestStore { store, database in
            let tenant = try await store.createTenant(slug: uniqueSlug(), name: nil, actor: "test")
            _ = try await store.ingest([
                Self.message(#"{"type":"identify","userId":"carol","anonymousId":"c-phone","traits":{"plan":"pro"}}"#, at: 1),
                Self.message(#"{"type":"track","anonymousId":"c-phone","event":"open"}"#, at: 2),
                Self.message(#"{"type":"identify","anonymousId":"dave-laptop","traits":{"email":"dave@x.io","plan":"free"}}"#, at: 3),
                Self.message(#"{"type":"track","anonymousId":"dave-laptop","event":"open"}"#, at: 4),
                Self.message(#"{"type":"group","anonymousId":"dave-laptop","groupId":"g1"}"#, at: 5),
            ], tenant: tenant)
            let before = try await partition(store, tenant)
            let carol = before["user_id:carol"]!, dave = before["email:dave@x.io"]!
            // A wrong merge: a message claims Dave's email belongs to Carol's phone.
            _ = try await store.ingest([
                Self.message(#"{"type":"identify","anonymousId":"c-phone","traits":{"email":"dave@x.io","plan":"team"}}"#, at: 6),
            ], tenant: tenant)
            let merged = try await partition(store, tenant)
            #expect(Set(merged.values).count == 1)

            let result = try await store.unmerge(survivor: carol, merged: dave, tenant: tenant, actor: "test")
            #expect(result.identitiesMoved == 2)
            #expect(result.eventsMoved == 3)
            #expect(try await partition(store, tenant) == before)
            let events = try await database.superuserRows(
                "SELECT profile_id::text, count(*)::text FROM \(tenant.schema).events GROUP BY 1 ORDER BY 1")
            #expect(events == [["\(carol)", "3"], ["\(dave)", "3"]])
            guard case .found(let d) = try await store.profile(dave, tenant: tenant),
                  case .found(let c) = try await store.profile(carol, tenant: tenant) else { Issue.record("both should be live"); return }
            #expect(d.traits["plan"]?.value.text == #""free""#)
            #expect(d.groups == ["g1"])
            #expect(c.traits["plan"]?.value.text == #""team""#)
            #expect(c.groups.isEmpty)
            // The log shows the merge undone and the unmerge; the pair is not merged again.
            let log = try await database.superuserRows(
                "SELECT reason, (undone_at IS NOT NULL)::text FROM \(tenant.schema).merges ORDER BY id")
            #expect(log == [["identifier", "true"], ["unmerge", "false"]])
            _ = try await store.ingest([
                Self.message(#"{"type":"identify","anonymousId":"c-phone","traits":{"email":"dave@x.io"}}"#, at: 7),
            ], tenant: tenant)
            #expect(try await partition(store, tenant) == before)
            await #expect(throws: StoreError.self) { try await store.unmerge(survivor: carol, merged: dave, tenant: tenant, actor: "test") }
        }
    }

    /// Many clients ingesting overlapping identities at once: every identifier on exactly one
    /// live profile, every event on a live profile, one profile per person, and no error.
    @Test func concurrentOverlappingIngestion() async throws {
        try await withTestStore { store, database in
            let tenant = try await store.createTenant(slug: uniqueSlug(), name: nil, actor: "test")
            let people = 60, clients = 8, batchesPerClient = 12
            try await withThrowingTaskGroup(of: Int.self) { group in
                for client in 0..<clients {
                    group.addTask {
                        var rng = SplitMix(seed: UInt64(client + 1))
                        var sent = 0
                        for b in 0..<batchesPerClient {
                            var messages: [IngestMessage] = []
                            for m in 0..<25 {
                                // Each person has a user id, an email and two devices; every message
                                // carries two of the four, so profiles keep meeting and merging.
                                let person = Int(rng.next() % UInt64(people))
                                let ids = [#""userId":"user-\#(person)""#, #""anonymousId":"dev-\#(person)-a""#,
                                           #""anonymousId":"dev-\#(person)-b""#, #""traits":{"email":"p\#(person)@x.io"}"#]
                                let i = Int(rng.next() % 4), j = (i + 1 + Int(rng.next() % 3)) % 4
                                let pair = [ids[i], ids[j]]
                                guard pair.filter({ $0.contains("anonymousId") }).count < 2 else { continue }
                                let hasID = pair.contains { $0.contains("userId") || $0.contains("anonymousId") }
                                let parts = (hasID ? pair : pair + [#""anonymousId":"dev-\#(person)-a""#]).joined(separator: ",")
                                messages.append(Self.message(#"{"type":"identify","messageId":"c\#(client)-\#(b)-\#(m)",\#(parts)}"#,
                                                             at: Int64(b * 1000 + m)))
                            }
                            sent += try await store.ingest(messages, tenant: tenant).accepted
                        }
                        return sent
                    }
                }
                for try await _ in group {}
            }
            let s = tenant.schema
            #expect(try await database.superuserRows("""
                SELECT count(*)::text FROM \(s).identities i JOIN \(s).profiles p ON p.id = i.profile_id WHERE p.merged_into IS NOT NULL
                """) == [["0"]])
            #expect(try await database.superuserRows("""
                SELECT count(*)::text FROM \(s).events e JOIN \(s).profiles p ON p.id = e.profile_id WHERE p.merged_into IS NOT NULL
                """) == [["0"]])
            #expect(try await database.superuserRows("""
                SELECT count(*)::text FROM \(s).profiles p JOIN \(s).profiles q ON q.id = p.merged_into WHERE q.merged_into IS NOT NULL
                """) == [["0"]], "merge chains are kept flat")
            // One live profile per person, holding all of that person's identifiers seen.
            let p = try await partition(store, tenant)
            var byPerson: [String: Set<Int64>] = [:]
            for (key, profile) in p {
                let digits = key.split(whereSeparator: { !$0.isNumber }).first.map(String.init) ?? ""
                byPerson[digits, default: []].insert(profile)
            }
            #expect(byPerson.values.allSatisfy { $0.count == 1 }, "\(byPerson.filter { $0.value.count > 1 })")
            #expect(Set(byPerson.values.map { $0.first! }).count == byPerson.count)
        }
    }
}

extension IdentityStoreTests {
    /// After an unmerge, the split-off profile merges into an older third one; the block moves with it.
    @Test func anUnmergeHoldsWhenASideMergesOn() async throws {
        try await withTestStore { store, _ in
            let tenant = try await store.createTenant(slug: uniqueSlug(), name: nil, actor: "test")
            _ = try await store.ingest([
                Self.message(#"{"type":"identify","anonymousId":"carol-phone"}"#, at: 1),
                Self.message(#"{"type":"identify","anonymousId":"x-tablet"}"#, at: 2),
                Self.message(#"{"type":"identify","anonymousId":"dave-laptop","traits":{"email":"dave@x.io"}}"#, at: 3),
            ], tenant: tenant)
            let p = try await partition(store, tenant)
            let (carol, x, dave) = (p["anonymous_id:carol-phone"]!, p["anonymous_id:x-tablet"]!, p["anonymous_id:dave-laptop"]!)
            _ = try await store.ingest([Self.message(#"{"type":"identify","anonymousId":"carol-phone","traits":{"email":"dave@x.io"}}"#, at: 4)], tenant: tenant)
            _ = try await store.unmerge(survivor: carol, merged: dave, tenant: tenant, actor: "test")
            // Dave's email shows up on the tablet: Dave joins the older tablet profile.
            _ = try await store.ingest([Self.message(#"{"type":"identify","anonymousId":"x-tablet","traits":{"email":"dave@x.io"}}"#, at: 5)], tenant: tenant)
            #expect(try await partition(store, tenant)["email:dave@x.io"] == x)
            // Carol's phone with the tablet: still not Dave.
            _ = try await store.ingest([Self.message(#"{"type":"track","anonymousId":"carol-phone","event":"e","context":{"traits":{"email":"dave@x.io"}}}"#, at: 6)], tenant: tenant)
            let after = try await partition(store, tenant)
            #expect(after["anonymous_id:carol-phone"] == carol)
            #expect(after["email:dave@x.io"] == x)
        }
    }
}
