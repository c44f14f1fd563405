import Testing
@testable import RapportStore

/// The identity cache is bounded for the process (issue 14: up to 2,000,000 identifiers per
/// tenant and no bound over all of them): past its capacity the least recently used tenants'
/// caches go.
@Suite struct IdentityCacheTests {
    func state(epoch: Int64, identifiers: Int, prefix: String) -> IdentityCache.TenantState {
        var state = IdentityCache.TenantState(epoch: epoch)
        for n in 0..<identifiers {
            state.identities[IdentityKey("user_id", "\(prefix)-\(n)")] = IdentityCache.Entry(profile: Int64(n), lastSeen: 0)
        }
        return state
    }

    @Test func theLeastRecentlyUsedTenantsGoPastTheBound() {
        let cache = IdentityCache(capacity: 100)
        cache.put(state(epoch: 1, identifiers: 40, prefix: "a"), tenant: 1)
        cache.put(state(epoch: 1, identifiers: 40, prefix: "b"), tenant: 2)
        #expect(cache.entries == 80)
        // Tenant 1 is used again, so tenant 2 is now the least recent.
        let one = cache.take(tenant: 1, epoch: 1)
        #expect(one.identities.count == 40)
        cache.put(one, tenant: 1)
        cache.put(state(epoch: 1, identifiers: 50, prefix: "c"), tenant: 3)
        #expect(cache.entries == 90)
        #expect(cache.take(tenant: 2, epoch: 1).identities.isEmpty)
        #expect(cache.take(tenant: 1, epoch: 1).identities.count == 40)
        #expect(cache.take(tenant: 3, epoch: 1).identities.count == 50)
        #expect(cache.entries == 0)
    }

    @Test func aTenantLargerThanTheBoundKeepsOnlyItsEpoch() {
        let cache = IdentityCache(capacity: 10)
        cache.put(state(epoch: 7, identifiers: 11, prefix: "big"), tenant: 1)
        #expect(cache.entries == 0)
        let taken = cache.take(tenant: 1, epoch: 7)
        #expect(taken.epoch == 7 && taken.identities.isEmpty)
    }

    @Test func aStaleStateIsNotCounted() {
        let cache = IdentityCache(capacity: 100)
        cache.put(state(epoch: 1, identifiers: 30, prefix: "a"), tenant: 1)
        // Another process advanced the epoch: the state is dropped, and its size with it.
        #expect(cache.take(tenant: 1, epoch: 2).identities.isEmpty)
        #expect(cache.entries == 0)
        cache.put(state(epoch: 2, identifiers: 5, prefix: "a"), tenant: 1)
        cache.put(state(epoch: 1, identifiers: 50, prefix: "old"), tenant: 1)
        #expect(cache.entries == 5)
    }
}
