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
        // As for a key's source: an empty name would be no source at all (the summaries keep
        // events without a source under '').
        guard (1...100).contains(source.count) else { throw ValidationError("--source: a source name has 1 to 100 characters.") }
        let input: FileHandle
        var total: Int?
        if file == "-" {
            input = .standardInput
        } else {
            guard let handle = FileHandle(forReadingAtPath: file) else {
                // Say why: the operating system's reason (no such file, permission denied, a folder).
                let fd = open(file, O_RDONLY)
                let reason = fd < 0 ? String(cString: strerror(errno)) : "it is not a readable file"
                if fd >= 0 { close(fd) }
                throw ValidationError("Cannot read \(file): \(reason).")
            }
            input = handle
            total = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
        }
        let rejectsPath = rejects ?? (file == "-" ? "import.rejects.ndjson" : file + ".rejects.ndjson")
        let (slug, source, batchSize, totalBytes) = (tenant, self.source, self.batchSize, total)
        let bar = ProgressBar(interactive: isatty(STDERR_FILENO) == 1,
                              every: ProcessInfo.processInfo.environment["RAPPORT_PROGRESS_SECONDS"].flatMap(Double.init) ?? 5)
        let summary = try await Store.withStore(try options.database(), logger: options.logger(default: .notice)) { store in
            let tenant = try await store.commandTenant(slug)
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

/// Progress on standard error: on a terminal a one-line bar redrawn at most five times a
/// second; otherwise (a log, a cron job, CI) a plain line every `every` seconds.
final class ProgressBar: @unchecked Sendable {
    let interactive: Bool
    let every: Double
    private var last = Date()
    private let lock = NSLock()

    init(interactive: Bool, every: Double = 5) {
        self.interactive = interactive
        self.every = max(0, every)
    }

    func show(_ p: Importer.Progress) {
        lock.lock()
        defer { lock.unlock() }
        guard Date().timeIntervalSince(last) >= (interactive ? 0.2 : every) else { return }
        last = Date()
        let rate = p.seconds > 0 ? Double(p.lines) / p.seconds : 0
        var line = "\(p.lines) lines, \(Int(rate))/s"
        var fraction: Double?
        var eta = 0.0
        if let total = p.totalBytes, total > 0 {
            fraction = min(1, Double(p.bytesRead) / Double(total))
            eta = fraction! > 0 ? p.seconds * (1 - fraction!) / fraction! : 0
        }
        if p.rejected > 0 { line += ", \(p.rejected) rejected" }
        guard interactive else {
            let done = fraction.map { String(format: "%.0f%%, ", $0 * 100) } ?? ""
            let left = fraction.map { _ in String(format: ", about %.0f s left", eta) } ?? ""
            FileHandle.standardError.write(Data(("import: \(done)\(line)\(left)\n").utf8))
            return
        }
        if let fraction {
            let width = 30, filled = Int(fraction * Double(width))
            line = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
                + String(format: "%3.0f%% ", fraction * 100) + line + String(format: ", ETA %.0f s", eta)
        }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
    }

    func finish() {
        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
