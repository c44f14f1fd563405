import Foundation
import RapportQL
import RapportStore

/// What one input led to: text for the results (the screen, or the `\o` file), a message
/// for the screen, whether it failed, whether to quit.
public struct ReplOutcome: Equatable, Sendable {
    public var results: String?
    public var message: String?
    public var failed = false
    public var quit = false

    public init(results: String? = nil, message: String? = nil, failed: Bool = false, quit: Bool = false) {
        (self.results, self.message, self.failed, self.quit) = (results, message, failed, quit)
    }
}

/// The REPL without a terminal: inputs in, outcomes out. The terminal driver (line editing,
/// Ctrl-C, the `\o` file) lives in the `rapport` executable.
public struct ReplSession: Sendable {
    public let backend: any ReplBackend
    public var format = OutputFormat.table
    /// `\x`: one block per row always (on), never (off), or when a table is wider than the
    /// terminal (auto, as psql's `\x auto`).
    public var expanded = Expanded.auto
    /// The terminal's width, when the REPL runs on one (tables are fitted to it).
    public var terminalWidth: Int?
    public var timing = true
    /// Where results go (`\o FILE`); nil: the screen.
    public var outputPath: String?
    public var completer = Completer(catalog: CompletionCatalog())

    public init(backend: any ReplBackend) { self.backend = backend }

    public var prompt: String { "\(backend.tenant)=> " }
    public var continuationPrompt: String { String(repeating: " ", count: max(0, backend.tenant.count - 1)) + "-> " }

    /// Reads the tenant's names for tab completion (again after a definition changes them).
    public mutating func refreshCatalog() async {
        if let catalog = try? await backend.catalog() { completer.catalog = catalog }
    }

    public mutating func handle(_ input: ReplInput, id: String = UUID().uuidString) async -> ReplOutcome {
        switch input {
        case .statement(let text):
            let outcome = await run(text, id: id)
            let lowered = text.lowercased()
            if !outcome.failed, ["segment ", "metric ", "funnel ", "drop ", "lifecycle "].contains(where: lowered.hasPrefix) {
                await refreshCatalog()
            }
            return outcome
        case .command(let line):
            switch ReplCommand.parse(line) {
            case .failure(let problem): return ReplOutcome(message: problem.description, failed: true)
            case .success(let command): return await perform(command, id: id)
            }
        }
    }

    mutating func perform(_ command: ReplCommand, id: String) async -> ReplOutcome {
        switch command {
        case .quit:
            return ReplOutcome(quit: true)
        case .help(let topic):
            guard let topic else { return ReplOutcome(message: ReplHelp.overview) }
            guard let text = ReplHelp.topic(topic) else {
                return ReplOutcome(message: "error: no help on `\(topic)`; \\help lists the topics", failed: true)
            }
            return ReplOutcome(message: text)
        case .describe(let name):
            if let name { return await run("describe \(Completer.quoted(name))", id: id) }
            var parts: [String] = []
            for what in ["traits", "events", "segments", "metrics", "funnels", "syncs"] {
                let outcome = await run("show \(what)", id: id, timed: false)
                if outcome.failed { return outcome }
                parts.append(what + "\n" + (outcome.results ?? ""))
            }
            return ReplOutcome(results: parts.joined(separator: "\n\n"))
        case .explain(let query):
            // `\explain analyze QUERY` runs it too and shows the plan.
            return await run("explain " + query, id: id)
        case .profile(let reference):
            return await profileCard(reference, id: id)
        case .format(let format):
            guard let format else { return ReplOutcome(message: "format is \(self.format.rawValue)") }
            self.format = format
            return ReplOutcome(message: "format is \(format.rawValue)")
        case .output(let path):
            if let path {
                guard FileManager.default.createFile(atPath: path, contents: nil) else {
                    return ReplOutcome(message: "error: cannot write to \(path)", failed: true)
                }
            }
            outputPath = path
            return ReplOutcome(message: path.map { "results go to \($0)" } ?? "results go to the screen")
        case .timing:
            timing.toggle()
            return ReplOutcome(message: "timing is \(timing ? "on" : "off")")
        case .expanded(let setting):
            expanded = setting ?? (expanded == .on ? .off : .on)
            return ReplOutcome(message: "expanded display is \(expanded.rawValue)")
        }
    }

    /// Runs a statement and renders its result in the chosen format (a table with its chart).
    func run(_ statement: String, id: String, timed: Bool = true) async -> ReplOutcome {
        let clock = ContinuousClock(), start = clock.now
        do {
            let result = try await backend.run(statement, id: id)
            let elapsed = timing && timed ? Self.elapsed(clock.now - start) : nil
            // In csv, json and ndjson a cut result still says so, beside the data (standard error).
            let note = result.truncated && format != .table ? ResultRenderer.truncation(result) : nil
            return ReplOutcome(results: try render(result, elapsed: elapsed), message: note)
        } catch let failure as ReplFailure {
            return ReplOutcome(message: failure.description, failed: true)
        } catch {
            return ReplOutcome(message: "error: \(error)", failed: true)
        }
    }

    /// As `rapport query` prints it, with a chart under a report's table.
    func render(_ result: QueryResult, elapsed: String?) throws -> String {
        let text = try ResultRenderer.render(result, format: format, elapsed: elapsed, width: terminalWidth, expanded: expanded)
        guard format == .table, result.sql == nil, let chart = Charts.chart(for: result) else { return text }
        return text + "\n\n" + chart
    }

    static func elapsed(_ duration: Duration) -> String {
        let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return ms < 1000 ? String(format: "%.0f ms", ms) : String(format: "%.2f s", ms / 1000)
    }

    /// `\profile 42` or `\profile email:ada@example.com`: the profile's identities, its traits
    /// with their sources and times, the saved segments it is in, and its latest events.
    func profileCard(_ text: String, id: String) async -> ReplOutcome {
        guard let reference = ProfileReference(text) else {
            return ReplOutcome(message: "error: \\profile takes a profile id or kind:value, such as email:ada@example.com", failed: true)
        }
        let profile: Profile
        do {
            guard let found = try await backend.profile(reference) else { return ReplOutcome(message: "no profile matches \(text)", failed: true) }
            profile = found
        } catch let failure as ReplFailure {
            return ReplOutcome(message: failure.description, failed: true)
        } catch {
            return ReplOutcome(message: "error: \(error)", failed: true)
        }
        func when(_ date: Date?) -> QueryValue {
            guard let date else { return .null }
            return .timestamp(ISO8601DateFormatter().string(from: date))
        }
        func column(_ name: String, _ type: FieldType = .text) -> ResultColumn { ResultColumn(name: name, type: type) }
        var parts = ["profile \(profile.id)"]
        let identities = QueryResult(
            columns: [column("kind"), column("value"), column("source"), column("last_seen", .timestamp)],
            rows: profile.identities.map { [.text($0.kind), .text($0.value), $0.source.map(QueryValue.text) ?? .null, when($0.lastSeen)] })
        parts.append("identities\n" + ResultRenderer.table(identities))
        let traits = QueryResult(
            columns: [column("trait"), column("value"), column("source"), column("at", .timestamp)],
            rows: profile.traits.keys.sorted().map { name in
                let trait = profile.traits[name]!
                return [.text(name), .text(trait.value.text), trait.source.map(QueryValue.text) ?? .null, when(trait.at)]
            })
        parts.append("traits\n" + ResultRenderer.table(traits))
        var session = self
        (session.expanded, session.format, session.timing) = (.off, .table, false)
        let segments = completer.catalog.segments
        if !segments.isEmpty {
            let columns = segments.enumerated().map { "s\($0.offset) = in \(Completer.quoted($0.element))" }.joined(separator: ", ")
            if let result = try? await backend.run("profiles | where id = \(profile.id) | select \(columns)", id: id), let row = result.rows.first {
                let member = zip(segments, row).filter { $0.1 == .boolean(true) }.map(\.0)
                parts.append("segments: " + (member.isEmpty ? "none" : member.joined(separator: ", ")))
            }
        }
        let events = await session.run("events | where profile_id = \(profile.id) | order by ts desc | limit 10", id: id, timed: false)
        parts.append("latest events\n" + (events.results ?? events.message ?? ""))
        return ReplOutcome(results: parts.joined(separator: "\n\n"))
    }

    static func stringLiteral(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
