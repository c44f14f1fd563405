import ArgumentParser
import AsyncHTTPClient
import CLibEdit
import Dispatch
import Foundation
import RapportREPL
import RapportStore

/// `rapport repl`: RQL interactively, on a server (`--url`, `--key`) or on the database
/// (`--tenant`); `-c` and piped input run without a terminal.
struct Repl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Query a tenant interactively, or run statements from -c or standard input.",
        discussion: """
            With --url the REPL talks to a running server over HTTP (the key from --key or $RAPPORT_KEY, \
            which needs the query scope); with --tenant it opens the database (--database-url, \
            $DATABASE_URL, else the embedded PostgreSQL). Statements end with ; or a blank line. \
            \\help lists the commands. With -c or piped input, results print in --format and the first \
            error ends the run with exit status 1 (--continue-on-error goes on, and still exits 1).
            """)

    @OptionGroup var options: DatabaseOptions
    @Option(help: "A Rapport server's URL, such as http://localhost:8080.") var url: String?
    @Option(help: "The API key for --url (default: $RAPPORT_KEY).") var key: String?
    @Option(help: "The tenant's slug, to open the database directly.") var tenant: String?
    @Option(name: .short, help: "Run this and exit (may be given more than once).") var command: [String] = []
    @Option(help: "table, json, csv or ndjson.") var format: OutputFormat = .table
    @Flag(help: "Without a terminal, go on after an error (the exit status is still 1).") var continueOnError = false
    @Option(help: "The statement timeout in milliseconds (with --tenant).") var timeoutMs = 30_000
    @Option(help: "The most rows a statement returns (with --tenant; a server has its own).") var rowCap = 10_000

    func validate() throws {
        if url == nil && tenant == nil { throw ValidationError("Say where to run: --url URL (with --key or $RAPPORT_KEY) or --tenant SLUG.") }
        if url != nil && tenant != nil { throw ValidationError("--url and --tenant exclude each other: the server knows the key's tenant.") }
        if let url, let problem = HTTPBackend.problem(with: url) { throw ValidationError(problem + ".") }
    }

    func run() async throws {
        let interactive = command.isEmpty && isatty(STDIN_FILENO) == 1
        if let url {
            guard let key = key ?? ProcessInfo.processInfo.environment["RAPPORT_KEY"], !key.isEmpty else {
                throw ValidationError("--url needs an API key: --key KEY or $RAPPORT_KEY.")
            }
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPBackend.clientConfiguration)
            do {
                let backend: HTTPBackend
                do {
                    backend = try await HTTPBackend.connect(url: url, key: key, client: client)
                } catch {
                    // As psql: no session could start, exit status 2.
                    printError("\(error)")
                    throw ExitCode(2)
                }
                try await drive(backend, interactive: interactive)
                try? await client.shutdown()
            } catch {
                try? await client.shutdown()
                throw error
            }
        } else if let slug = tenant {
            let queryOptions = QueryOptions(timeout: .milliseconds(timeoutMs), rowCap: rowCap)
            try await Store.withStore(try options.database(), logger: options.logger(default: .warning)) { store in
                let record = try await store.commandTenant(slug)
                try await drive(StoreBackend(store: store, tenant: record, options: queryOptions), interactive: interactive)
            }
        }
    }

    func drive(_ backend: any ReplBackend, interactive: Bool) async throws {
        var session = ReplSession(backend: backend)
        session.format = format
        if interactive {
            try await Terminal(session: session).loop()
        } else {
            session.timing = false
            let failed = try await script(&session)
            if failed { throw ExitCode(1) }
        }
    }

    /// -c and piped input: each statement's result on standard output, problems on standard error.
    func script(_ session: inout ReplSession) async throws -> Bool {
        var reader = StatementReader()
        var inputs: [ReplInput] = []
        let lines: [String]
        if command.isEmpty {
            lines = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        } else {
            lines = command.flatMap { $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) + [""] }
        }
        for line in lines { if let input = reader.feed(line) { inputs.append(input) } }
        if let rest = reader.finish() { inputs.append(rest) }
        var failed = false
        for input in inputs {
            let outcome = await session.handle(input)
            Terminal.emit(outcome, session: session)
            if outcome.failed {
                failed = true
                if !continueOnError { break }
            }
            if outcome.quit { break }
        }
        return failed
    }
}

extension OutputFormat: ExpressibleByArgument {}

/// The interactive loop: libedit for editing, history and completion; SIGINT cancels the
/// running query.
final class Terminal: @unchecked Sendable {
    var session: ReplSession
    let historyPath: String
    /// The id of the query running now, for Ctrl-C.
    let running = RunningID()

    init(session: ReplSession) {
        self.session = session
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        historyPath = ProcessInfo.processInfo.environment["RAPPORT_HISTORY"] ?? (home + "/.rapport_history")
    }

    func loop() async throws {
        await session.refreshCatalog()
        Completion.completer = session.completer
        setUpLineEditor()
        let interrupts = interruptSource()
        defer { interrupts.cancel() }
        print("Rapport REPL on tenant \(session.backend.tenant). \\help for help, \\q to quit.")
        var reader = StatementReader()
        while true {
            let prompt = reader.isContinuing ? session.continuationPrompt : session.prompt
            let line: String
            switch await Self.readLine(prompt) {
            case .line(let text):
                line = text
            case .interrupted:
                // Ctrl-C: the statement being typed is dropped, lines before this one included.
                print("^C")
                reader = StatementReader()
                continue
            case .end:
                // Ctrl-D: run what was typed, then leave.
                print("")
                if let rest = reader.finish() { await handle(rest) }
                return
            }
            if !line.trimmingCharacters(in: .whitespaces).isEmpty {
                add_history(line)
                _ = write_history(historyPath)
            }
            guard let input = reader.feed(line) else { continue }
            if await handle(input) { break }
        }
    }

    /// Handles one input; whether to quit.
    func handle(_ input: ReplInput) async -> Bool {
        let id = UUID().uuidString
        session.terminalWidth = session.outputPath == nil ? terminalWidth() : nil
        await running.set(id)
        let outcome = await session.handle(input, id: id)
        await running.set(nil)
        Completion.completer = session.completer
        Self.emit(outcome, session: session)
        return outcome.quit
    }

    static func emit(_ outcome: ReplOutcome, session: ReplSession) {
        if let results = outcome.results {
            if let path = session.outputPath, let handle = FileHandle(forWritingAtPath: path) {
                handle.seekToEndOfFile()
                handle.write(Data((results + "\n").utf8))
                try? handle.close()
            } else {
                print(results)
            }
        }
        if let message = outcome.message {
            // A note beside results (a cut result in csv, say) goes to standard error too.
            if outcome.failed || outcome.results != nil { printError(message) } else { print(message) }
        }
        fflush(nil)
    }

    func setUpLineEditor() {
        rapport_rl_setup("rapport", Completion.attempt, " \t\n()|,=<>!+-*/;")
        // The history file is private: it holds what was typed, identifiers included.
        if !FileManager.default.fileExists(atPath: historyPath) {
            FileManager.default.createFile(atPath: historyPath, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        chmod(historyPath, 0o600)
        using_history()
        stifle_history(2000)
        _ = read_history(historyPath)
        rapport_rl_bind_interrupt(Completion.interrupt)
    }

    /// What one call of readline gave.
    enum Typed: Equatable { case line(String), interrupted, end }

    /// readline blocks, so it runs on a thread of its own.
    static func readLine(_ prompt: String) async -> Typed {
        await withCheckedContinuation { continuation in
            Thread {
                Completion.interrupted = false
                guard let raw = readline(prompt) else {
                    continuation.resume(returning: Completion.interrupted ? .interrupted : .end)
                    return
                }
                let line = String(cString: raw)
                free(raw)
                continuation.resume(returning: .line(line))
            }.start()
        }
    }

    /// SIGINT while a query runs cancels it (on the server or the database). At the prompt
    /// ^C is a key (`Completion.interrupt`), and a stray SIGINT is ignored. The signal handler
    /// writes a byte to a pipe; a thread of its own reads it.
    func interruptSource() -> InterruptPipe {
        let backend = session.backend
        let running = running
        return InterruptPipe {
            Task {
                guard let id = await running.get() else { return }
                FileHandle.standardError.write(Data("\ncancelling …\n".utf8))
                await backend.cancel(id)
            }
        }
    }
}

/// SIGINT, delivered through a pipe to `handler` on a thread of its own.
final class InterruptPipe: @unchecked Sendable {
    private let read: Int32, write: Int32

    init(_ handler: @escaping @Sendable () -> Void) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { fatalError("no pipe for Ctrl-C: \(String(cString: strerror(errno)))") }
        (read, write) = (ends[0], ends[1])
        rapport_catch_sigint(write)
        let read = read
        Thread {
            var byte: UInt8 = 0
            while true {
                let n = Foundation.read(read, &byte, 1)
                if n == 1 { handler(); continue }
                if n < 0, errno == EINTR { continue }
                return
            }
        }.start()
    }

    /// SIGINT is ignored again, and the reading thread ends.
    func cancel() {
        signal(SIGINT, SIG_IGN)
        close(write)
    }
}

/// Standard output's width in columns when it is a terminal.
func terminalWidth() -> Int? {
    var size = winsize()
    guard isatty(STDOUT_FILENO) == 1, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
    return Int(size.ws_col)
}

actor RunningID {
    private var id: String?
    func set(_ id: String?) { self.id = id }
    func get() -> String? { id }
}

/// libedit's callbacks, which cannot capture context: the completer is global.
enum Completion {
    nonisolated(unsafe) static var completer = Completer(catalog: CompletionCatalog())
    /// Set by ^C during the current readline call (only the line editor's thread touches it).
    nonisolated(unsafe) static var interrupted = false

    /// ^C while editing: readline returns, and the loop drops the statement being typed.
    static let interrupt: @convention(c) (Int32, Int32) -> Int32 = { _, _ in
        interrupted = true
        rapport_rl_end_line()
        return 0
    }

    static let attempt: @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = { _, start, end in
        guard let buffer = rapport_rl_line() else { return nil }
        let line = Array(String(cString: buffer).utf8)
        let endIndex = min(Int(end), line.count), startIndex = min(Int(start), endIndex)
        let before = String(decoding: line[..<endIndex], as: UTF8.self)
        let (ours, candidates) = completer.complete(before)
        rapport_rl_completion_done(candidates.count == 1 ? 32 : 0)
        guard !candidates.isEmpty else { return nil }
        // libedit replaces from its own word start; ours may begin earlier (a backquoted name).
        let skipped = ours < startIndex ? String(decoding: line[ours..<startIndex], as: UTF8.self) : ""
        let shown = candidates.map { $0.hasPrefix(skipped) ? String($0.dropFirst(skipped.count)) : $0 }
        let common = Completer.commonPrefix(shown)
        let list = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: shown.count + 2)
        list[0] = strdup(shown.count == 1 ? shown[0] : common)
        for (index, candidate) in shown.enumerated() { list[index + 1] = strdup(candidate) }
        list[shown.count + 1] = nil
        return list
    }
}
