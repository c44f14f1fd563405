import ArgumentParser
import Foundation

/// Writes the benchmark workload as NDJSON, for `rapport import` or a look.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write the benchmark workload as NDJSON.")

    @Option(help: "People in the workload.") var people = 100_000
    @Option(help: "Events (messages) in the workload, roughly.") var events = 1_000_000
    @Option(help: "The seed; the same seed gives the same workload.") var seed: UInt64 = 42
    @Argument(help: "The output file.") var output: String

    func run() throws {
        let workload = Workload.generate(people: people, events: events, seed: seed)
        try (workload.lines.joined(separator: "\n") + "\n").write(toFile: output, atomically: false, encoding: .utf8)
        FileHandle.standardError.write(Data("\(workload.lines.count) messages, \(workload.mergingPeople) people needing a merge\n".utf8))
    }
}
