import Testing
@testable import RapportServer

/// How the summary worker paces a rebuild: steps sized by how long the last took (each holds
/// the tenant's ingestion lock), and a failing tenant tried again later and later.
@Suite struct SummaryWorkerTests {
    @Test func stepsFollowHowLongTheLastTook() {
        #expect(SummaryWorker.nextChunk(after: 5_000, took: .milliseconds(100)) == 10_000)
        #expect(SummaryWorker.nextChunk(after: 5_000, took: .seconds(1)) == 5_000)
        #expect(SummaryWorker.nextChunk(after: 5_000, took: .seconds(30)) == 2_500)
        #expect(SummaryWorker.nextChunk(after: 150, took: .seconds(30)) == 100)
        #expect(SummaryWorker.nextChunk(after: 150_000, took: .zero) == 200_000)
    }

    @Test func aFailingTenantWaitsLongerEachTime() {
        #expect(SummaryWorker.backoff(failures: 1) == .seconds(2))
        #expect(SummaryWorker.backoff(failures: 2) == .seconds(4))
        #expect(SummaryWorker.backoff(failures: 5) == .seconds(32))
        #expect(SummaryWorker.backoff(failures: 50) == .seconds(300))
    }
}
