import Testing
@testable import RapportStore

/// Query ids are each tenant's own, and a reservation is released only by its own query
/// (issue 14 and its review: a late release once removed a later query's reservation).
@Suite struct RunningQueriesTests {
    @Test func idsAreKeyedByTenantAndReleasedByTheirToken() async {
        let queries = RunningQueries()
        // Tenant 1 cancels id x before any query: tenant 2's query x is not touched.
        #expect(await queries.cancel("x", tenant: 1) == nil)
        guard case .reserved(let two) = await queries.reserve("x", tenant: 2) else {
            Issue.record("tenant 2 could not reserve x")
            return
        }
        #expect(await queries.attach("x", tenant: 2, pid: 42))
        // Tenant 1's early cancel still stops its own x.
        guard case .cancelledEarly = await queries.reserve("x", tenant: 1) else {
            Issue.record("tenant 1's early cancel was lost")
            return
        }
        // A second x of tenant 2 while the first runs is refused.
        guard case .inUse = await queries.reserve("x", tenant: 2) else {
            Issue.record("a running id was reserved twice")
            return
        }
        #expect(await queries.cancel("x", tenant: 1) == nil)
        #expect(await queries.cancel("x", tenant: 2) == 42)
        // A stale release does nothing; the right token releases, and says it was cancelled.
        #expect(await queries.finish("x", tenant: 2, token: two + 1000) == false)
        #expect(await queries.finish("x", tenant: 2, token: two) == true)
        guard case .reserved(let again) = await queries.reserve("x", tenant: 2) else {
            Issue.record("x was not free again")
            return
        }
        #expect(again != two)
        #expect(await queries.finish("x", tenant: 2, token: two) == false)
        #expect(await queries.cancel("x", tenant: 2) == 0)  // reserved, not started: it will not start
        #expect(await queries.attach("x", tenant: 2, pid: 7) == false)
    }
}
