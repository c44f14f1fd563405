/// Identity resolution for a batch of messages, as a pure computation over what the database
/// already knows about the batch's identifiers. The store loads that knowledge, runs this, and
/// writes the plan, all in one transaction.
///
/// Rules (DESIGN.md): identifiers seen together merge their profiles, the oldest surviving;
/// a merge or an attachment that would give a profile more identifiers of a kind than the
/// kind's limit does not happen: that identifier is left out and the conflict is recorded.
/// Identifiers are taken highest priority first, so the highest-priority identifier that is
/// already known decides the message's profile.
///
/// Profile ids: existing profiles have their database ids (positive); profiles created by
/// this batch get temporary ids -1, -2, … in creation order. Older means a smaller positive
/// id, any existing profile before any new one, and -1 before -2.
public struct IdentityResolver {
    /// What the database knows: which live profile holds each identifier of the batch.
    public var owner: [IdentityKey: Int64]
    /// Identifiers per kind held by each profile in `owner`.
    public var counts: [Int64: [String: Int]]
    /// Pairs of profiles split apart by an unmerge (smaller id first): never merged again.
    public var blocked: Set<[Int64]>
    let rules: IdentityRules
    private var parent: [Int64: Int64] = [:]
    private var nextTemporary: Int64 = -1

    public init(rules: IdentityRules, owner: [IdentityKey: Int64], counts: [Int64: [String: Int]], blocked: Set<[Int64]> = []) {
        self.rules = rules
        self.owner = owner
        self.counts = counts
        self.blocked = blocked
    }

    /// What to write.
    public struct Plan: Sendable {
        /// Per message: the profile it was attributed to when resolved (its origin).
        public var messageProfiles: [Int64] = []
        /// New profiles, by temporary id (-1, -2, …), with the index of the message that created each.
        public var created: [(id: Int64, message: Int)] = []
        /// New identifiers with the profile they joined and the message that brought them.
        public var attached: [(key: IdentityKey, profile: Int64, message: Int)] = []
        /// Merges in order: `loser` joins `survivor` because `message` carried `key`.
        public var merges: [(survivor: Int64, loser: Int64, message: Int, key: IdentityKey)] = []
        /// Identifiers left out, with why.
        public var conflicts: [(key: IdentityKey, profile: Int64, other: Int64?, message: Int, reason: String)] = []
        /// Every profile id mapped to the live profile it ended in.
        public var root: [Int64: Int64] = [:]

        /// The live profile `id` ended in.
        public func live(_ id: Int64) -> Int64 { root[id] ?? id }
    }

    /// Resolves `messages` (in order) to profiles.
    /// - Parameter identifiers: per message, its identifiers highest priority first (``IdentityRules/identifiers(of:)``)
    ///   and, for an alias, its `previousId`.
    public mutating func resolve(_ identifiers: [(keys: [IdentityKey], previousID: String?)]) -> Plan {
        var plan = Plan()
        for (index, entry) in identifiers.enumerated() {
            var keys = entry.keys
            if let previous = entry.previousID, let key = aliasKey(previous) {
                keys.append(key)
                keys.sort { (priority($0), $0.value) < (priority($1), $1.value) }
            }
            // The highest-priority identifier decides: the first known identifier's profile is the
            // message's, unless the new identifiers ranked above it could not join that profile
            // (a second user id, say); then they start a profile of their own.
            var current: Int64?
            if let first = keys.firstIndex(where: { owner[$0] != nil }) {
                let known = find(owner[keys[first]]!)
                if fits(keys[..<first], into: known) { current = known }
            }
            for key in keys {
                if let existing = owner[key] {
                    let other = find(existing)
                    guard let profile = current, other != profile else { continue }
                    if blocked.contains([min(profile, other), max(profile, other)]) {
                        plan.conflicts.append((key, profile, other, index, "the two profiles were split apart by an unmerge"))
                        continue
                    }
                    if let exceeded = exceededKind(merging: profile, other) {
                        plan.conflicts.append((key, profile, other, index,
                            "merging would give a profile more than \(limit(exceeded)) `\(exceeded)` identifiers"))
                        continue
                    }
                    let (survivor, loser) = isOlder(profile, other) ? (profile, other) : (other, profile)
                    parent[loser] = survivor
                    // What the loser may not merge with, the survivor may not either.
                    for pair in blocked where pair.contains(loser) {
                        let third = pair[0] == loser ? pair[1] : pair[0]
                        blocked.insert([min(survivor, third), max(survivor, third)])
                    }
                    for (kind, n) in counts[loser] ?? [:] { counts[survivor, default: [:]][kind, default: 0] += n }
                    counts[loser] = nil
                    plan.merges.append((survivor, loser, index, key))
                    current = survivor
                } else {
                    let profile = current ?? newProfile(for: index, in: &plan)
                    current = profile
                    let held = counts[profile]?[key.kind] ?? 0
                    guard held < limit(key.kind) else {
                        plan.conflicts.append((key, profile, nil, index,
                            "the profile already holds \(held) `\(key.kind)` identifiers, the limit"))
                        continue
                    }
                    counts[profile, default: [:]][key.kind] = held + 1
                    owner[key] = profile
                    plan.attached.append((key, profile, index))
                }
            }
            plan.messageProfiles.append(current ?? newProfile(for: index, in: &plan))
        }
        for id in Set(parent.keys) { plan.root[id] = find(id) }
        return plan
    }

    /// The kind of `previousId`: a known user id, else a known anonymous id, else a new anonymous id.
    private func aliasKey(_ previous: String) -> IdentityKey? {
        for kind in ["user_id", "anonymous_id"] {
            if let v = rules.normalize(previous, kind: kind), owner[IdentityKey(kind, v)] != nil { return IdentityKey(kind, v) }
        }
        return rules.normalize(previous, kind: "anonymous_id").map { IdentityKey("anonymous_id", $0) }
    }

    private func priority(_ key: IdentityKey) -> Int { rules.kind(key.kind)?.priority ?? Int.max }

    private mutating func newProfile(for message: Int, in plan: inout Plan) -> Int64 {
        let id = nextTemporary
        nextTemporary -= 1
        plan.created.append((id, message))
        return id
    }

    /// Whether `keys` (all new) could all join `profile` within the kinds' limits.
    private func fits(_ keys: ArraySlice<IdentityKey>, into profile: Int64) -> Bool {
        var held = counts[profile] ?? [:]
        for key in keys {
            held[key.kind, default: 0] += 1
            if held[key.kind]! > limit(key.kind) { return false }
        }
        return true
    }

    private func exceededKind(merging a: Int64, _ b: Int64) -> String? {
        let ca = counts[a] ?? [:], cb = counts[b] ?? [:]
        for kind in Set(ca.keys).union(cb.keys) where (ca[kind] ?? 0) + (cb[kind] ?? 0) > limit(kind) { return kind }
        return nil
    }

    /// A kind's limit; a kind no longer configured limits nothing.
    private func limit(_ kind: String) -> Int { rules.kind(kind)?.limit ?? Int.max }

    private mutating func find(_ id: Int64) -> Int64 {
        var root = id
        while let next = parent[root] { root = next }
        var node = id
        while let next = parent[node], next != root { parent[node] = root; node = next }
        return root
    }

    /// Whether profile `a` is older than `b`.
    static func isOlder(_ a: Int64, _ b: Int64) -> Bool {
        switch (a > 0, b > 0) {
        case (true, true): return a < b
        case (true, false): return true
        case (false, true): return false
        case (false, false): return a > b
        }
    }

    private func isOlder(_ a: Int64, _ b: Int64) -> Bool { Self.isOlder(a, b) }
}
