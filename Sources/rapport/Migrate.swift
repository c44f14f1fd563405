import ArgumentParser
import RapportStore

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending migrations to the control schema and every tenant schema.")

    @OptionGroup var options: DatabaseOptions

    @Flag(help: "Only list what is pending.")
    var status = false

    func run() async throws {
        let logger = options.logger(default: .notice)
        let status = self.status
        try await Store.withStore(try options.database(), logger: logger, migrate: false, createEmbedded: !status) { store in
            if status {
                let cluster = try await store.clusterInfo()
                print("Database: \(cluster.summary)" + (cluster.workers.isEmpty ? "" : ": \(cluster.workers.joined(separator: ", "))"))
                let pending = try await store.migrationStatus().pending.filter { !$0.value.isEmpty }
                if pending.isEmpty { print("All migrations are applied.") }
                for (scope, files) in pending.sorted(by: { $0.key < $1.key }) {
                    print("\(scope): \(files.joined(separator: ", "))")
                }
                return
            }
            let report = try await store.migrate()
            if report.count == 0 { printError("All migrations were already applied.") }
            for (scope, files) in report.applied {
                printError("\(scope): applied \(files.joined(separator: ", "))")
            }
        }
    }
}
