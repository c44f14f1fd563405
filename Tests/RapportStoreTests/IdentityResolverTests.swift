import Testing
@testable import RapportStore

/// The resolver alone, on hand-made states of the database.
@Suite struct IdentityResolverTests {
    let rules = IdentityRules.defaults

    func keys(_ pairs: [(String, String)]) -> (keys: [IdentityKey], previousID: String?) {
        (pairs.map { IdentityKey($0.0, $0.1) }.sorted { (rules.kind($0.kind)!.priority, $0.value) < (rules.kind($1.kind)!.priority, $1.value) }, nil)
    }

    @Test func newIdentifiersMakeOneNewProfile() {
        var resolver = IdentityResolver(rules: rules, owner: [:], counts: [:])
        let plan = resolver.resolve([keys([("user_id", "u"), ("email", "a@x"), ("anonymous_id", "d1")])])
        #expect(plan.created.map(\.id) == [-1])
        #expect(plan.attached.count == 3)
        #expect(plan.attached.allSatisfy { $0.profile == -1 })
        #expect(plan.merges.isEmpty)
    }

    @Test func identifiersSeenTogetherMergeAndTheOldestSurvives() {
        let owner = [IdentityKey("anonymous_id", "d1"): Int64(7), IdentityKey("email", "a@x"): 3]
        var resolver = IdentityResolver(rules: rules, owner: owner, counts: [7: ["anonymous_id": 1], 3: ["email": 1]])
        let plan = resolver.resolve([keys([("email", "a@x"), ("anonymous_id", "d1")])])
        #expect(plan.merges.count == 1)
        #expect(plan.merges[0].survivor == 3 && plan.merges[0].loser == 7)
        #expect(plan.merges[0].key == IdentityKey("anonymous_id", "d1"))
        #expect(plan.live(7) == 3)
        #expect(plan.messageProfiles == [3])
    }

    @Test func aMergeThatBreaksALimitDoesNotHappen() {
        // Two profiles with different user ids, linked by a shared device.
        let owner = [IdentityKey("user_id", "u1"): Int64(1), IdentityKey("user_id", "u2"): 2, IdentityKey("anonymous_id", "d"): 2]
        var resolver = IdentityResolver(rules: rules, owner: owner, counts: [1: ["user_id": 1], 2: ["user_id": 1, "anonymous_id": 1]])
        let plan = resolver.resolve([keys([("user_id", "u1"), ("anonymous_id", "d")])])
        #expect(plan.merges.isEmpty)
        #expect(plan.conflicts.count == 1)
        #expect(plan.conflicts[0].key == IdentityKey("anonymous_id", "d"))
        #expect(plan.conflicts[0].reason == "merging would give a profile more than 1 `user_id` identifiers")
        // The higher-priority identifier decides the profile.
        #expect(plan.messageProfiles == [1])
    }

    @Test func anAttachmentPastTheLimitIsLeftOut() {
        let owner = [IdentityKey("user_id", "u1"): Int64(1)]
        var resolver = IdentityResolver(rules: rules, owner: owner, counts: [1: ["user_id": 1, "email": 5]])
        let plan = resolver.resolve([keys([("user_id", "u1"), ("email", "sixth@x")])])
        #expect(plan.attached.isEmpty)
        #expect(plan.conflicts.map(\.reason) == ["the profile already holds 5 `email` identifiers, the limit"])
    }

    @Test func mergesWithinOneBatchChain() {
        var resolver = IdentityResolver(rules: rules, owner: [:], counts: [:])
        let plan = resolver.resolve([
            keys([("anonymous_id", "d1")]),
            keys([("anonymous_id", "d2")]),
            keys([("email", "a@x"), ("anonymous_id", "d2")]),
            keys([("email", "a@x"), ("anonymous_id", "d1")]),
        ])
        #expect(plan.created.map(\.id) == [-1, -2])
        #expect(plan.merges.map { [$0.survivor, $0.loser] } == [[-1, -2]])
        #expect(plan.live(-2) == -1)
        #expect(plan.messageProfiles.map { plan.live($0) } == [-1, -1, -1, -1])
    }

    @Test func aliasJoinsThePreviousIdentifier() {
        let owner = [IdentityKey("anonymous_id", "d1"): Int64(4)]
        var resolver = IdentityResolver(rules: rules, owner: owner, counts: [4: ["anonymous_id": 1]])
        let plan = resolver.resolve([([IdentityKey("user_id", "u9")], "d1")])
        #expect(plan.attached.map(\.key) == [IdentityKey("user_id", "u9")])
        #expect(plan.attached[0].profile == 4)
        #expect(plan.messageProfiles == [4])
    }

    @Test func normalisationAndBlockedValues() {
        #expect(rules.normalize("  Ann@Example.COM ", kind: "email") == "ann@example.com")
        #expect(rules.normalize("+49 (30) 1234-567", kind: "phone") == "49301234567")
        #expect(rules.normalize("123", kind: "phone") == nil)
        for blocked in ["", "null", "undefined", "0", "anonymous", "guest", "[object Object]", "NULL"] {
            #expect(rules.normalize(blocked, kind: "user_id") == nil, "\(blocked)")
        }
        #expect(rules.normalize("not-an-email", kind: "email") == nil)
        #expect(rules.normalize("x", kind: "no_such_kind") == nil)
    }
}

extension IdentityResolverTests {
    /// Bob logs in on Alice's computer: his user id decides, he gets his own profile, and the
    /// shared device stays Alice's.
    @Test func aNewHigherPriorityIdentifierStartsItsOwnProfileWhenItCannotJoin() {
        let owner = [IdentityKey("user_id", "alice"): Int64(1), IdentityKey("anonymous_id", "pc"): 1]
        var resolver = IdentityResolver(rules: rules, owner: owner, counts: [1: ["user_id": 1, "anonymous_id": 1]])
        let plan = resolver.resolve([keys([("user_id", "bob"), ("anonymous_id", "pc")])])
        #expect(plan.created.map(\.id) == [-1])
        #expect(plan.attached.map(\.key) == [IdentityKey("user_id", "bob")])
        #expect(plan.messageProfiles == [-1])
        #expect(plan.conflicts.map(\.key) == [IdentityKey("anonymous_id", "pc")])
    }
}

extension IdentityResolverTests {
    /// A pair split by an unmerge stays apart after one side merges into a third profile.
    @Test func blocksFollowAMergedProfile() {
        let owner = [IdentityKey("anonymous_id", "a"): Int64(1), IdentityKey("anonymous_id", "b"): 3, IdentityKey("anonymous_id", "c"): 2]
        var resolver = IdentityResolver(rules: rules, owner: owner, counts: [1: ["anonymous_id": 1], 2: ["anonymous_id": 1], 3: ["anonymous_id": 1]],
                                        blocked: [[1, 3]])
        let plan = resolver.resolve([
            keys([("anonymous_id", "b"), ("anonymous_id", "c")]),  // 3 joins 2
            keys([("anonymous_id", "a"), ("anonymous_id", "c")]),  // 1 and 2 (which holds 3) must not merge
        ])
        #expect(plan.merges.map { [$0.survivor, $0.loser] } == [[2, 3]])
        #expect(plan.conflicts.map(\.reason) == ["the two profiles were split apart by an unmerge"])
    }
}
