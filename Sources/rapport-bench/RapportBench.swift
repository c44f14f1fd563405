import ArgumentParser

/// Benchmarks: programs that print figures and ratios against a baseline measured in the
/// same run (never timed assertions in tests).
@main
struct RapportBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rapport-bench", abstract: "Rapport's benchmarks.", subcommands: [IngestBenchmark.self, QueryBenchmark.self, PrivacyBenchmark.self, SyncBenchmark.self, Generate.self, ReceiverCommand.self])
}
