import ArgumentParser
import Foundation
import RapportStore

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import Segment-shaped NDJSON (plain or gzipped) into a tenant.",
        discussion: """
            One message a line, with its `type`. Lines without a messageId get one derived from the line, so \
            importing a file again stores nothing twice. Unreadable lines go, with their reason, to a side file. \
            Exit status: 0 when every line was stored, 3 when some were rejected.
            """)

    @OptionGroup var options: DatabaseOptions
    @Option(help: "The tenant's slug.") var tenant: String
    @Option(help: "The source name recorded on the events.") var source = "import"
    @Option(help: "Where rejected lines go (default: FILE.rejects.ndjson, or ./import.rejects.ndjson for stdin).") var rejects: String?
    @Option(help: "Messages written per transaction.") var batchSize = 5_000
    @Argument(help: "The file, or - for standard input.") var file: String

    func run() async throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be at least 1.") }
        let input: FileHandle
        var total: Int?
        if file == "-" {
            input = .standardInput
        } else {
            guard let handle = FileHandle(forReadingAtPath: file) else { throw ValidationError("Cannot read \(file).") }
            input = handle
            total = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
        }
        let rejectsPath = rejects ?? (file == "-" ? "import.rejects.ndjson" : file + ".rejects.ndjson")
        let (slug, source, batchSize, totalBytes) = (tenant, self.source, self.batchSize, total)
        let bar = ProgressBar(enabled: isatty(STDERR_FILENO) == 1)
        let summary = try await Store.withStore(try options.database(), logger: options.logger(default: .notice)) { store in
            guard let tenant = try await store.tenant(slug: slug) else { throw StoreError.tenantNotFound(slug) }
            let importer = Importer(store: store, tenant: tenant,
                                    options: .init(source: source, batchSize: batchSize, rejectsPath: rejectsPath))
            return try await importer.run(input, totalBytes: totalBytes) { bar.show($0) }
        }
        bar.finish()
        let r = summary.result
        let rate = summary.seconds > 0 ? Double(summary.lines) / summary.seconds : 0
        printError("""
            Imported \(summary.lines) lines in \(String(format: "%.1f", summary.seconds)) s (\(Int(rate)) lines/s): \
            \(r.accepted) stored, \(r.duplicates) already there, \(summary.rejected) rejected.
            Profiles created: \(r.profilesCreated), merges: \(r.merges), identifiers left out by limits: \(r.conflicts).
            """ + (r.suppressed > 0 ? "\nDropped \(r.suppressed) message(s) carrying a suppressed (erased) identifier." : "") + (summary.rejectsPath.map { "\nRejected lines and their reasons: \($0)" } ?? ""))
        if summary.rejected > 0 { throw ExitCode(3) }
    }
}

/// A one-line progress bar on standard error, redrawn at most five times a second.
final class ProgressBar: @unchecked Sendable {
    let enabled: Bool
    private var last = Date.distantPast
    private let lock = NSLock()

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ p: Importer.Progress) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        guard Date().timeIntervalSince(last) > 0.2 else { return }
        last = Date()
        let rate = p.seconds > 0 ? Double(p.lines) / p.seconds : 0
        var line = "\(p.lines) lines, \(Int(rate))/s"
        if let total = p.totalBytes, total > 0 {
            let fraction = min(1, Double(p.bytesRead) / Double(total))
            let width = 30, filled = Int(fraction * Double(width))
            let eta = fraction > 0 ? p.seconds * (1 - fraction) / fraction : 0
            line = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
                + String(format: "%3.0f%% ", fraction * 100) + line + String(format: ", ETA %.0f s", eta)
        }
        if p.rejected > 0 { line += ", \(p.rejected) rejected" }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
