import Foundation
import Testing
@testable import RapportQL

/// A bounded, seeded fuzzer for the whole RQL pipeline (lex, parse, check, compile, render),
/// so the suite guards what `scripts/fuzz rql` (libFuzzer, `Sources/FuzzRQL`) checks, without
/// libFuzzer: the examples and the seeds in `Tests/Fuzz/rql-seeds` mutated by tokens (deleted,
/// repeated hundreds of times, swapped, spliced from another query, wrapped in deep
/// parentheses, replaced by huge literals, escapes and unicode) and by characters.
///
/// Runs for `RAPPORT_FUZZ_SECONDS` (default 20) from `RAPPORT_FUZZ_SEED` (default fixed, so a
/// run is repeatable); failing inputs are written to `RAPPORT_FUZZ_ARTIFACTS` when it is set.
/// Every input that ever failed is kept in `Tests/Fuzz/rql-regressions/` and replayed below.
@Suite struct RQLFuzzTests {
    @Test func mutatedQueriesKeepThePipelinesInvariants() throws {
        let settings = FuzzSettings.fromEnvironment(defaultSeconds: 20)
        var random = FuzzRandom(seed: settings.seed)
        let mutator = RQLMutator(seeds: RQLFuzzCorpus.seeds)
        let clock = ContinuousClock()
        let started = clock.now
        var inputs = 0, failures = 0, slowest = (share: 0.0, bytes: 0, seconds: 0.0)
        var reported: Set<String> = []
        while clock.now - started < .seconds(settings.seconds) {
            let text = mutator.mutate(&random)
            // Over 100,000 bytes the HTTP API answers 413 before the compiler sees the text.
            guard text.utf8.count <= RQLInvariants.maxQueryBytes else { continue }
            inputs += 1
            let (problems, seconds) = RQLInvariants.timedProblems(text)
            let share = seconds / RQLInvariants.maxSeconds(forBytes: text.utf8.count)
            if share > slowest.share { slowest = (share, text.utf8.count, seconds) }
            guard !problems.isEmpty else { continue }
            failures += 1
            let kind = RQLInvariants.kind(of: problems[0])
            let saved = settings.save(Array(text.utf8), suffix: "rql")
            // One issue per kind of problem, so a broken invariant does not print thousands.
            if reported.insert(kind).inserted {
                Issue.record("""
                    \(problems.joined(separator: "\n"))
                    input (\(text.utf8.count) bytes\(saved.map { ", saved to \($0)" } ?? "")): \(RQLInvariants.excerpt(text))
                    """)
            }
        }
        let elapsed = clock.now - started
        print("fuzz rql-generator: \(inputs) inputs in \(Int(elapsed.seconds.rounded())) s, \(failures) failures (seed \(settings.seed); "
              + "slowest: \(slowest.bytes) bytes in \(String(format: "%.3f", slowest.seconds)) s, \(Int(slowest.share * 100))% of its limit)")
        #expect(inputs > 0)
        #expect(failures == 0, "\(failures) of \(inputs) generated queries broke an invariant")
    }

    @Test(arguments: RQLFuzzCorpus.regressionNames)
    func regressionsKeepTheInvariants(_ name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: RQLFuzzCorpus.regressions.appendingPathComponent(name)))
        for text in RQLInvariants.texts(ofFuzzerInput: bytes) {
            let (problems, _) = RQLInvariants.timedProblems(text)
            #expect(problems.isEmpty, "\(name): \(problems.joined(separator: "\n"))")
        }
    }

    /// The seeds themselves pass, and are what the fuzzer starts from.
    @Test func theSeedsKeepTheInvariants() {
        #expect(RQLFuzzCorpus.seeds.count > 100)
        for seed in RQLFuzzCorpus.seeds {
            let (problems, _) = RQLInvariants.timedProblems(seed)
            #expect(problems.isEmpty, "\(RQLInvariants.excerpt(seed)): \(problems.joined(separator: "\n"))")
        }
    }

    /// The invariants catch what they should: a fixed-size check of the checker itself.
    @Test func theBindCheckReadsPlaceholders() {
        #expect(RQLInvariants.placeholders(in: "SELECT $1::text, $2, $10 FROM x WHERE a = $1") == [1, 2, 10])
        #expect(RQLInvariants.placeholders(in: "SELECT '$' || $ || $x").isEmpty)
    }
}

/// What must hold for any text sent as a query (the same list as `Sources/FuzzRQL`'s
/// `PipelineInvariants`; keep the two together):
/// - the pipeline returns (no trap, no crash), within ``maxSeconds(forBytes:)``;
/// - at most `RQL.maxDiagnostics` diagnostics and one `too-many-problems`, from `compile` and
///   from `dump` at every stage;
/// - every diagnostic's range lies in the text, its code is kebab-case, its message and hint
///   at most `Diagnostic.maxMessageBytes`, and it renders in at most
///   `DiagnosticRenderer.maxRenderedBytes` bytes;
/// - a compilation has diagnostics (HTTP 400) or statements (200), never both, and each
///   query's SQL uses exactly the binds `$1` … `$n` it has.
enum RQLInvariants {
    /// The query API's limit on a query's text (a longer one is answered 413).
    static let maxQueryBytes = 100_000

    /// The time one input may take through every stage, about ten times what a debug build
    /// needs on a 2-core machine (the pipeline runs six times per input here: compile, and
    /// dump at four stages, whose `sql` compiles again).
    static func maxSeconds(forBytes bytes: Int) -> Double { 2.0 + Double(bytes) * 100e-6 }

    /// The texts `Sources/FuzzRQL` makes of one libFuzzer input: the bytes as UTF-8, and when the
    /// last byte is odd, the same cut into two statements where that byte says.
    static func texts(ofFuzzerInput bytes: [UInt8]) -> [String] {
        let text = String(decoding: bytes, as: UTF8.self)
        guard bytes.count >= 2, bytes[bytes.count - 1] & 1 == 1 else { return [text] }
        let characters = Array(text)
        let cut = Int(bytes[bytes.count - 1]) * characters.count / 256
        return [text, String(characters[..<cut]) + ";\n" + String(characters[cut...])]
    }

    static func timedProblems(_ text: String) -> (problems: [String], seconds: Double) {
        let clock = ContinuousClock()
        var problems: [String] = []
        var seconds = clock.measure { problems = self.problems(text) }.seconds
        if seconds > maxSeconds(forBytes: text.utf8.count) {
            // Once more, in case the machine was busy: the faster of the two counts.
            seconds = min(seconds, clock.measure { _ = self.problems(text) }.seconds)
        }
        if seconds > maxSeconds(forBytes: text.utf8.count) {
            problems.append("slow: \(String(format: "%.2f", seconds)) s for \(text.utf8.count) bytes, more than \(String(format: "%.2f", maxSeconds(forBytes: text.utf8.count))) s")
        }
        return (problems, seconds)
    }

    static func problems(_ text: String) -> [String] {
        var problems: [String] = []
        let source = SourceText(text)
        let length = text.utf8.count
        let catalog = RQLFuzzCorpus.catalog
        let compilation = RQL.compile(text, catalog: catalog)
        problems += diagnosticProblems(compilation.diagnostics, source: source, length: length, stage: "compile")
        if compilation.diagnostics.isEmpty {
            for statement in compilation.statements {
                switch statement {
                case .query(let query), .explain(let query, _):
                    let used = placeholders(in: query.sql)
                    if used != Array(1..<(query.binds.count + 1)) {
                        problems.append("compile: the SQL uses binds \(used.prefix(20)) but has \(query.binds.count)")
                    }
                case .defineSync(let sync):
                    let (audience, fields, diagnostics) = RQL.audience(sync.query, catalog: catalog)
                    if audience == nil || !diagnostics.isEmpty || fields != sync.fields {
                        problems.append("compile: a saved sync's audience does not compile again: \(diagnostics.map(\.code))")
                    }
                case .define, .show, .describe, .drop: break
                }
                _ = statement.description
            }
        } else if !compilation.statements.isEmpty {
            problems.append("compile: \(compilation.diagnostics.count) diagnostics and \(compilation.statements.count) statements")
        }
        for stage in RQL.Stage.allCases {
            let (_, diagnostics) = RQL.dump(text, stage: stage, catalog: catalog)
            problems += diagnosticProblems(diagnostics, source: source, length: length, stage: "dump \(stage.rawValue)")
        }
        return problems
    }

    static func diagnosticProblems(_ diagnostics: [Diagnostic], source: SourceText, length: Int, stage: String) -> [String] {
        var problems: [String] = []
        if diagnostics.count > RQL.maxDiagnostics + 1 {
            problems.append("\(stage): \(diagnostics.count) diagnostics, more than \(RQL.maxDiagnostics) and one `too-many-problems`")
        }
        for diagnostic in diagnostics.prefix(RQL.maxDiagnostics + 5) {
            let range = diagnostic.range
            if !(range.start >= 0 && range.start <= range.end && range.end <= length) {
                problems.append("\(stage): `\(diagnostic.code)` has range \(range.start)..<\(range.end) outside a text of \(length) bytes")
            }
            if diagnostic.code.isEmpty || !diagnostic.code.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || $0 == 45 }) {
                problems.append("\(stage): diagnostic code `\(diagnostic.code)` is not kebab-case")
            }
            if diagnostic.message.utf8.count > Diagnostic.maxMessageBytes || (diagnostic.hint?.utf8.count ?? 0) > Diagnostic.maxMessageBytes {
                problems.append("\(stage): `\(diagnostic.code)` has a message or hint over \(Diagnostic.maxMessageBytes) bytes")
            }
            let rendered = DiagnosticRenderer.render(diagnostic, in: source)
            if rendered.utf8.count > DiagnosticRenderer.maxRenderedBytes {
                problems.append("\(stage): `\(diagnostic.code)` renders in \(rendered.utf8.count) bytes, more than \(DiagnosticRenderer.maxRenderedBytes)")
            }
        }
        return problems
    }

    /// The distinct `$n` placeholders in `sql`, sorted.
    static func placeholders(in sql: String) -> [Int] {
        var used = Set<Int>()
        let utf8 = Array(sql.utf8)
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "$"), i + 1 < utf8.count, (48...57).contains(utf8[i + 1]) {
                var n = 0, j = i + 1
                while j < utf8.count, (48...57).contains(utf8[j]), n < 1_000_000 { n = n * 10 + Int(utf8[j] - 48); j += 1 }
                used.insert(n)
                i = j
            } else {
                i += 1
            }
        }
        return used.sorted()
    }

    /// A problem with its numbers taken out, to tell kinds apart.
    static func kind(of problem: String) -> String {
        String(problem.replacing(/[0-9]+/, with: "#").prefix(80))
    }

    /// The start of `text`, escaped, for a test report.
    static func excerpt(_ text: String) -> String {
        let head = String(text.unicodeScalars.prefix(300).map(Character.init))
        return head.debugDescription + (text.unicodeScalars.count > 300 ? " … (\(text.utf8.count) bytes)" : "")
    }
}

/// The seeds and the catalogue the RQL fuzzer works with.
enum RQLFuzzCorpus {
    static let folder = Fixtures.root.appendingPathComponent("Tests/Fuzz")
    static let regressions = folder.appendingPathComponent("rql-regressions")

    /// The fixture catalogue with the saved definitions the hostile seeds name.
    static let catalog = Fixtures.catalog(with: [
        Definition(kind: .segment, name: "fuzz_pros", source: "profiles | where plan = \"pro\""),
        Definition(kind: .metric, name: "fuzz_spend", source: "sum(purchase.amount)"),
        Definition(kind: .funnel, name: "fuzz_checkout", source: "signup -> purchase within 7 days"),
    ])

    /// Every example, and every file of `Tests/Fuzz/rql-seeds`.
    static let seeds: [String] = {
        let examples = Fixtures.exampleNames.compactMap { try? Fixtures.example($0) }
        return examples + files(in: folder.appendingPathComponent("rql-seeds")).map { String(decoding: $0.data, as: UTF8.self) }
    }()

    static var regressionNames: [String] { files(in: regressions).map(\.name) }

    static func files(in folder: URL) -> [(name: String, data: Data)] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted()
        return names.compactMap { name in (try? Data(contentsOf: folder.appendingPathComponent(name))).map { (name, $0) } }
    }
}

/// Mutates queries by tokens (as the lexer cuts them) and by characters.
struct RQLMutator {
    /// Each seed as pieces: the text between tokens, then a token, alternately.
    let seeds: [[String]]
    /// Tokens seen in the seeds, and some no seed has.
    let tokens: [String]

    init(seeds texts: [String]) {
        seeds = texts.map(Self.pieces)
        var pool = Set(seeds.flatMap { pieces in pieces.enumerated().filter { $0.offset % 2 == 1 }.map(\.element) })
        pool.formUnion(["(", ")", "|", ";", ",", "->", "=", "!=", "<=", ">=", "+", "-", "*", "/", ".", "`", "\"", "'", "\\",
                        "where", "select", "group", "by", "order", "limit", "offset", "count", "profiles", "events", "segment",
                        "funnel", "metric", "did", "in", "not", "and", "or", "is", "null", "within", "since", "between",
                        "first", "last", "sum", "avg", "min", "max", "any", "show", "describe", "explain", "analyze", "drop",
                        "set", "value", "lifecycle", "stage", "fuzz_pros", "fuzz_spend", "fuzz_checkout", "now", "today",
                        "\"\\u{D800}\"", "\"\\u{110000}\"", "\"\\u{}\"", "\"\\u{1F680}\"", "\"\\x\"", "`a\nb`", "\"\u{0}\"",
                        "2023-02-30", "0000-01-01", "9999-12-31T23:59:60Z", "2024-01-01T00:00:00+99:99", "1e5", "0.",
                        "99999999999999999999999999999999", "1000000 years", "0d", "\u{FEFF}", "\u{202E}", "é", "👩‍👩‍👧",
                        "a\u{301}\u{301}", "@", "#", "$1", "{", "}", "[", "]", "--", "\r\n", "\t"])
        tokens = pool.sorted()
    }

    static func pieces(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        var pieces: [String] = []
        var offset = 0
        for token in Lexer.tokenize(text).tokens where token.kind != .end {
            let start = min(max(token.range.start, offset), bytes.count), end = min(max(token.range.end, start), bytes.count)
            pieces.append(String(decoding: bytes[offset..<start], as: UTF8.self))
            pieces.append(String(decoding: bytes[start..<end], as: UTF8.self))
            offset = end
        }
        pieces.append(String(decoding: bytes[offset...], as: UTF8.self))
        return pieces
    }

    func mutate(_ random: inout FuzzRandom) -> String {
        var pieces = seeds[random.below(seeds.count)]
        for _ in 0..<(1 + random.below(4)) { mutateOnce(&pieces, &random) }
        return pieces.joined()
    }

    private func randomToken(_ random: inout FuzzRandom) -> String { tokens[random.below(tokens.count)] }

    /// The index of a token piece (odd), or nil when there is none.
    private func tokenIndex(_ pieces: [String], _ random: inout FuzzRandom) -> Int? {
        pieces.count >= 3 ? 1 + 2 * random.below(pieces.count / 2) : nil
    }

    private func mutateOnce(_ pieces: inout [String], _ random: inout FuzzRandom) {
        guard let i = tokenIndex(pieces, &random) else {
            pieces = [" ", randomToken(&random), " "]
            return
        }
        switch random.below(14) {
        case 0: // delete a token
            pieces[i] = ""
        case 1: // replace a token
            pieces[i] = randomToken(&random)
        case 2: // insert a token
            pieces[i] = random.below(2) == 0 ? randomToken(&random) + " " + pieces[i] : pieces[i] + " " + randomToken(&random)
        case 3: // swap two tokens
            if let j = tokenIndex(pieces, &random) { pieces.swapAt(i, j) }
        case 4: // repeat a run of tokens, up to a few hundred times
            let end = min(pieces.count - 1, i + 2 * random.below(4))
            let run = pieces[i...end].joined()
            pieces[i] = String(repeating: run + pieces[min(end + 1, pieces.count - 1)], count: 2 + random.below(random.below(2) == 0 ? 8 : 400))
            if end > i { for k in (i + 1)...end { pieces[k] = "" } }
        case 5: // deep parentheses, or an opened one never closed
            let depth = 1 + random.below(random.below(2) == 0 ? 40 : 3000)
            let close = random.below(4) == 0 ? "" : String(repeating: ")", count: depth)
            pieces[i] = String(repeating: "(", count: depth) + pieces[i] + close
        case 6: // splice a run of tokens from another seed
            let other = seeds[random.below(seeds.count)]
            let from = random.below(other.count), to = min(other.count, from + 1 + random.below(20))
            pieces[i] = other[from..<to].joined()
        case 7: // a huge number, percent or duration
            let digits = String(repeating: String(random.below(10)), count: 1 + random.below(random.below(2) == 0 ? 30 : 6000))
            let suffixes = ["", "", "%", "d", " days", ".5", "mo", "e5"]
            pieces[i] = digits + suffixes[random.below(suffixes.count)]
        case 8: // a string full of escapes, unicode or quotes
            let parts = ["\\\"", "\\'", "\\\\", "\\n", "\\t", "\\u{1F680}", "\\u{D800}", "\\u{0}", "\\u{FFFFFFFFFF}", "\\q", "é", "日本", "👩‍👩‍👧‍👦", "\u{301}", "`", "'", "\u{0}"]
            let body = (0..<(1 + random.below(random.below(2) == 0 ? 20 : 3000))).map { _ in parts[random.below(parts.count)] }.joined()
            let quote = ["\"", "'", "`"][random.below(3)]
            pieces[i] = quote + body + (random.below(5) == 0 ? "" : quote)
        case 9: // a long name, bare or backticked
            let count = 1 + random.below(random.below(2) == 0 ? 20 : 2000)
            pieces[i] = random.below(2) == 0 ? String(repeating: "a", count: count) : "`" + String(repeating: ["é", "x", "日", "🚀"][random.below(4)], count: count) + "`"
        case 10: // a character nobody expects, anywhere
            let scalars: [Unicode.Scalar] = ["\u{0}", "\u{1C}", "\u{7F}", "\u{85}", "\u{A0}", "\u{FEFF}", "\u{FFFD}", "\u{10FFFF}", "\u{2028}", "@", "#", "\\", "\r"]
            let s = String(Character(scalars[random.below(scalars.count)]))
            let gap = i - 1
            pieces[gap] += String(repeating: s, count: 1 + random.below(random.below(2) == 0 ? 3 : 500))
        case 11: // many statements
            pieces[i] = String(repeating: pieces[i] + "; ", count: 2 + random.below(300))
        case 12: // cut the text short
            pieces.removeSubrange(i..<pieces.count)
            pieces.append(random.below(2) == 0 ? "" : String(Character(Unicode.Scalar(UInt8(32 + random.below(95))))))
        default: // keywords in another case, or a token glued to the next
            pieces[i] = random.below(2) == 0 ? pieces[i].uppercased() : pieces[i]
            if i + 1 < pieces.count { pieces[i + 1] = "" }
        }
    }
}

/// How long to fuzz, from where, and where failing inputs go.
struct FuzzSettings {
    var seconds: Int
    var seed: UInt64
    var artifacts: URL?

    static func fromEnvironment(defaultSeconds: Int) -> FuzzSettings {
        let environment = ProcessInfo.processInfo.environment
        let seconds = environment["RAPPORT_FUZZ_SECONDS"].flatMap(Int.init) ?? defaultSeconds
        let seed = environment["RAPPORT_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5EED_0F_4A9D
        let artifacts = environment["RAPPORT_FUZZ_ARTIFACTS"].map { URL(fileURLWithPath: $0) }
        return FuzzSettings(seconds: max(1, seconds), seed: seed, artifacts: artifacts)
    }

    /// Writes a failing input as `failure-<hash>.<suffix>` under the artifacts folder.
    func save(_ bytes: [UInt8], suffix: String) -> String? {
        guard let artifacts else { return nil }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        let file = artifacts.appendingPathComponent("failure-\(String(hash, radix: 16)).\(suffix)")
        try? FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        try? Data(bytes).write(to: file)
        return file.path
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// SplitMix64: small, deterministic, good enough to pick mutations.
struct FuzzRandom {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (0 when `bound` is 0).
    mutating func below(_ bound: Int) -> Int { bound <= 0 ? 0 : Int(next() % UInt64(bound)) }
}
