import Foundation
import RapportTestSupport
import Testing
@testable import RapportStore

/// A bounded, seeded fuzzer for what a tenant's clients send: the Segment message reader
/// (`MessageReader.single`, `.batch`, `.line`, through `JSONParser` and `Timestamp`) and the
/// NDJSON importer's `LineReader` (plain and gzip). No database: these are pure functions.
///
/// Valid identify, track, page, screen, group and alias messages (single, batched, as import
/// lines) are mutated by JSON structure (deep nesting, huge numbers, long and odd strings,
/// wrong types, missing fields, duplicate keys) and by bytes (flips, inserts, cuts, invalid
/// UTF-8). Invariants: nothing crashes; every input is accepted or refused with a
/// `MessageError` (`JSONParseError` from the parser, `StoreError` from the line reader), never
/// another error; an accepted message is within its limits and serialises to JSON that reads
/// back the same; time per input stays under ``IngestionFuzz/maxSeconds(forBytes:)``.
/// Inputs made hostile on purpose (invalid UTF-8, lone surrogate escapes, NUL, impossible
/// dates, nesting past 200) must be refused.
///
/// Runs for `RAPPORT_FUZZ_SECONDS` per test (default 12 s for messages, 8 s for lines) from
/// `RAPPORT_FUZZ_SEED`; with `RAPPORT_FUZZ_ARTIFACTS` set, failing inputs are saved there
/// (`scripts/fuzz message|import` sets both).
@Suite struct IngestionFuzzTests {
    static let now = Timestamp.parse("2024-06-01T12:00:00Z")!

    @Test func messageReaders() throws {
        var run = IngestionFuzz.Run(name: "message", defaultSeconds: 12)
        var random = SplitMix(seed: run.seed)
        while run.goingOn {
            let input = MessageInput.generate(&random)
            run.check(input.bytes, suffix: input.shape.fileSuffix) { IngestionFuzz.problems(input) }
        }
        run.finish()
    }

    @Test func lineReader() throws {
        var run = IngestionFuzz.Run(name: "import", defaultSeconds: 8)
        var random = SplitMix(seed: run.seed ^ 0x11E5)
        let packedBases = ImportInput.gzipBases()
        while run.goingOn {
            let input = ImportInput.generate(&random, packedBases: packedBases)
            run.check(input.bytes, suffix: input.packed ? "ndjson.gz" : "ndjson") { IngestionFuzz.problems(input, &random) }
        }
        run.finish()
    }

    /// Every input that ever failed, kept in `Tests/Fuzz/message-regressions` (named
    /// `….single-<type>.json`, `….batch.json` or `….line.json`, as the run saved it) and
    /// `Tests/Fuzz/import-regressions` (`….ndjson` or `….ndjson.gz`).
    @Test(arguments: IngestionFuzz.regressions("message-regressions") + IngestionFuzz.regressions("import-regressions"))
    func regressionsKeepTheInvariants(_ path: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let name = URL(fileURLWithPath: path).lastPathComponent
        let problems: [String]
        if path.contains("/import-regressions/") {
            // Read in many ways: however the input is cut into reads, the lines are the same.
            var random = SplitMix(seed: 1)
            let packed = bytes.starts(with: [0x1F, 0x8B])
            let input = ImportInput(text: packed ? nil : bytes, bytes: bytes, original: bytes, packed: packed, mutations: packed ? ["regression"] : [])
            problems = IngestionFuzz.Reads.allCases.flatMap { IngestionFuzz.problems(input, &random, reads: $0) }
                + (0..<10).flatMap { _ in IngestionFuzz.problems(input, &random, reads: .random) }
        } else {
            let shape = try #require(MessageInput.Shape(fileName: name), "\(name) names no shape")
            problems = IngestionFuzz.problems(MessageInput(shape: shape, bytes: bytes, hostile: nil, mutations: ["regression"]))
        }
        #expect(problems.isEmpty, "\(name): \(problems.joined(separator: "\n"))")
    }

    /// The hostile cases one by one, so a failure names the case (the generator mixes them in).
    @Test(arguments: IngestionFuzz.HostileText.allCases)
    func hostileTextInAStringIsRefused(_ hostile: IngestionFuzz.HostileText) {
        for raw in hostile.samples {
            let body = Array(#"{"userId":"u","event":"e","properties":{"note":""#.utf8) + raw + Array(#""}}"#.utf8)
            #expect(throws: JSONParseError.self, "\(hostile): \(raw)") { try JSONParser.parse(body) }
            #expect(throws: MessageError.self, "\(hostile): \(raw)") { try MessageReader.single(body, type: .track, receivedAt: Self.now) }
            let key = Array(#"{"type":"identify","userId":"u","traits":{""#.utf8) + raw + Array(#"":1}}"#.utf8)
            #expect(throws: MessageError.self, "\(hostile) in a key: \(raw)") { try MessageReader.line(key, receivedAt: Self.now) }
        }
    }

    @Test(arguments: IngestionFuzz.impossibleDates)
    func impossibleDatesAreRefused(_ date: String) {
        #expect(Timestamp.parse(date) == nil, "\(date)")
        let body = Array(#"{"userId":"u","event":"e","timestamp":"\#(date)"}"#.utf8)
        #expect(throws: MessageError.self, "\(date)") { try MessageReader.single(body, type: .track, receivedAt: Self.now) }
        let batch = Array(#"{"sentAt":"\#(date)","batch":[{"type":"identify","userId":"u"}]}"#.utf8)
        #expect(throws: MessageError.self, "sentAt \(date)") { try MessageReader.batch(batch, receivedAt: Self.now) }
    }

    /// The generator's unmutated messages are accepted: the fuzzer starts from valid input.
    @Test func theGeneratorsMessagesAreValid() throws {
        var random = SplitMix(seed: 7)
        for _ in 0..<300 {
            let input = MessageInput.generate(&random, mutate: false)
            #expect(IngestionFuzz.problems(input).isEmpty)
            #expect(IngestionFuzz.accepts(input), "\(String(decoding: input.bytes.prefix(300), as: UTF8.self))")
        }
    }

    /// A pipe may hand the importer a first read of one byte: the stream is gzip all the same.
    @Test func gzipIsRecognisedWhenTheFirstReadIsOneByte() throws {
        let packed = ImportInput.gzipStored(Array("{\"type\":\"identify\",\"userId\":\"u\"}\n".utf8), blockSize: 100)
        var reader = LineReader()
        var lines = try reader.feed(packed[0..<1], final: false)
        lines += try reader.feed(packed[1...], final: false)
        lines += try reader.feed(Data(), final: true)
        #expect(lines.map { String(decoding: $0.bytes, as: UTF8.self) } == [#"{"type":"identify","userId":"u"}"#])
    }

    @Test func theGzipWriterWritesWhatTheLineReaderReads() throws {
        let text = Array("{\"type\":\"identify\",\"userId\":\"u\"}\r\n\n{\"a\":1}".utf8)
        var reader = LineReader()
        let lines = try reader.feed(ImportInput.gzipStored(text, blockSize: 7), final: true)
        #expect(lines.map(\.number) == [1, 3])
        #expect(lines.map { String(decoding: $0.bytes, as: UTF8.self) } == [#"{"type":"identify","userId":"u"}"#, #"{"a":1}"#])
    }
}

enum IngestionFuzz {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    /// The paths of the files in `Tests/Fuzz/<name>`.
    static func regressions(_ name: String) -> [String] {
        let dir = folder.appendingPathComponent(name)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted().map { dir.appendingPathComponent($0).path }
    }

    /// The time one input may take, about ten times what a debug build needs on 2 cores.
    static func maxSeconds(forBytes bytes: Int) -> Double { 1.0 + Double(bytes) * 20e-6 }

    /// Text that must never get into a stored string, as raw bytes of a JSON string's body.
    enum HostileText: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case invalidUTF8, loneSurrogate, nul

        var samples: [[UInt8]] {
            switch self {
            case .invalidUTF8:
                [[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x61, 0xE2, 0x82], [0x80], [0xF8, 0x88, 0x80, 0x80, 0x80]]
            case .loneSurrogate:
                [Array(#"\ud800"#.utf8), Array(#"\uDBFF\u0041"#.utf8), Array(#"\udc00"#.utf8), Array(#"a\ud83d"#.utf8), Array(#"\ude00\ud83d"#.utf8)]
            case .nul:
                [Array(#"\u0000"#.utf8), Array(#"a\u0000b"#.utf8), [0x00], [0x61, 0x00]]
            }
        }

        var testDescription: String { rawValue }
    }

    static let impossibleDates = [
        "2023-02-30T10:00:00Z", "2023-02-29", "2024-04-31T00:00:00Z", "2024-13-01", "2024-00-10", "2024-01-00T00:00:00Z",
        "2024-06-01T24:00:00Z", "2024-06-01T23:60:00Z", "2024-06-01T23:59:60Z", "2024-06-01T10:00:00+01:60", "0000-01-01",
    ]

    /// Whether every reader meant for `input`'s shape accepts it.
    static func accepts(_ input: MessageInput) -> Bool {
        switch input.shape {
        case .single(let type): (try? MessageReader.single(input.bytes, type: type, receivedAt: IngestionFuzzTests.now)) != nil
        case .batch: (try? MessageReader.batch(input.bytes, receivedAt: IngestionFuzzTests.now)) != nil
        case .line: (try? MessageReader.line(input.bytes, receivedAt: IngestionFuzzTests.now)) != nil
        }
    }

    static func problems(_ input: MessageInput) -> [String] {
        var problems: [String] = []
        let now = IngestionFuzzTests.now
        // The parser alone: a value or a JSONParseError.
        var parsed: JSONValue?
        do { parsed = try JSONParser.parse(input.bytes) } catch is JSONParseError {} catch {
            problems.append("JSONParser threw \(type(of: error)): \(error)")
        }
        if let parsed {
            // What parses serialises to JSON that parses to the same value, sorted or not.
            var unsorted: [UInt8] = []
            parsed.write(to: &unsorted, sortKeys: false)
            if (try? JSONParser.parse(Array(parsed.jsonText.utf8))) != parsed || (try? JSONParser.parse(unsorted)) != parsed {
                problems.append("a parsed value does not read back from its own JSON")
            }
        }
        var accepted: [IngestMessage] = []
        do {
            switch input.shape {
            case .single(let type): accepted = [try MessageReader.single(input.bytes, type: type, receivedAt: now).0]
            case .batch(let count):
                let messages = try MessageReader.batch(input.bytes, receivedAt: now).messages
                if input.hostile == nil, input.mutations.isEmpty, messages.count != count {
                    problems.append("a batch of \(count) messages was read as \(messages.count)")
                }
                accepted = messages
            case .line: accepted = [try MessageReader.line(input.bytes, receivedAt: now, defaultMessageID: { "derived" })]
            }
        } catch is MessageError {
        } catch {
            problems.append("\(input.shape) threw \(type(of: error)), not a MessageError: \(error)")
        }
        for message in accepted { problems += messageProblems(message) }
        if let hostile = input.hostile, !accepted.isEmpty || parsed != nil && hostile != "impossible date" && hostile != "too deep" {
            problems.append("\(hostile) was accepted by \(accepted.isEmpty ? "JSONParser" : "\(input.shape)")")
        }
        if input.hostile == "too deep", parsed != nil {
            problems.append("nesting past \(JSONParser.maxDepth) was parsed")
        }
        return problems
    }

    /// What holds for every message a reader accepts.
    static func messageProblems(_ message: IngestMessage) -> [String] {
        var problems: [String] = []
        if message.messageID.isEmpty || message.messageID.utf8.count > 200 { problems.append("messageId of \(message.messageID.utf8.count) bytes") }
        if message.userID == nil && message.anonymousID == nil { problems.append("a message with neither userId nor anonymousId") }
        for (field, value) in [("userId", message.userID), ("anonymousId", message.anonymousID), ("groupId", message.groupID), ("previousId", message.previousID)] {
            if let value, value.isEmpty || value.utf8.count > 500 { problems.append("\(field) of \(value.utf8.count) bytes") }
        }
        if message.type == .track, (message.name ?? "").utf8.count > 200 || (message.name ?? "").isEmpty { problems.append("a track event name of \((message.name ?? "").utf8.count) bytes") }
        if !(MessageReader.earliest...MessageReader.latest).contains(message.timestamp) { problems.append("timestamp \(message.timestamp) outside years 1000 to 9999") }
        if Timestamp.parse(Timestamp.format(message.timestamp)) != message.timestamp { problems.append("timestamp \(message.timestamp) does not read back from \(Timestamp.format(message.timestamp))") }
        for (field, object) in [("payload", message.payload), ("context", message.context)] {
            let value = JSONValue.object(object)
            let text = Array(value.jsonText.utf8)
            if String(validating: text, as: UTF8.self) == nil { problems.append("\(field) serialises to invalid UTF-8") }
            if (try? JSONParser.parse(text)) != value { problems.append("\(field) does not read back from its JSON") }
            if containsNUL(value) { problems.append("\(field) holds a NUL character, which PostgreSQL cannot store") }
        }
        for text in [message.messageID, message.userID, message.anonymousID, message.name, message.groupID, message.previousID].compactMap({ $0 })
        where text.unicodeScalars.contains("\u{0}") {
            problems.append("an identifier holds a NUL character")
        }
        return problems
    }

    static func containsNUL(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let s): s.unicodeScalars.contains("\u{0}")
        case .array(let items): items.contains(where: containsNUL)
        case .object(let object): object.contains { $0.key.unicodeScalars.contains("\u{0}") || containsNUL($0.value) }
        case .null, .bool, .number: false
        }
    }

    /// How an input is cut into the reads the line reader is fed (a file, a pipe, a slow pipe).
    enum Reads: CaseIterable {
        case whole, firstByteAlone, random, smallPieces
    }

    /// `bytes` through a new line reader, fed as `reads` says: its lines, or whether it threw
    /// a `StoreError` (true) or another error (false).
    static func read(_ bytes: [UInt8], _ reads: Reads, _ random: inout SplitMix) -> Result<[LineReader.Line], ReadFailure> {
        var reader = LineReader()
        var lines: [LineReader.Line] = []
        var ends: [Int]
        switch reads {
        case .whole: ends = [bytes.count]
        case .firstByteAlone: ends = [min(1, bytes.count), bytes.count]
        case .random: ends = ((0..<random.below(6)).map { _ in random.below(bytes.count + 1) } + [bytes.count]).sorted()
        case .smallPieces:
            let piece = 1 + random.below(64)
            ends = Array(stride(from: piece, to: bytes.count, by: piece)) + [bytes.count]
        }
        do {
            var offset = 0
            for end in ends {
                lines += try reader.feed(bytes[offset..<end], final: false)
                offset = end
            }
            lines += try reader.feed(Data(), final: true)
            return .success(lines)
        } catch is StoreError {
            return .failure(ReadFailure(storeError: true, description: ""))
        } catch {
            return .failure(ReadFailure(storeError: false, description: "\(type(of: error)): \(error)"))
        }
    }

    struct ReadFailure: Error {
        var storeError: Bool
        var description: String
    }

    static func problems(_ input: ImportInput, _ random: inout SplitMix, reads: Reads? = nil) -> [String] {
        var problems: [String] = []
        var lines: [LineReader.Line] = []
        var failed: ReadFailure?
        let reads = reads ?? Reads.allCases[random.below(Reads.allCases.count)]
        switch read(input.bytes, reads, &random) {
        case .success(let read): lines = read
        case .failure(let failure):
            failed = failure
            if !failure.storeError { problems.append("LineReader threw \(failure.description), not a StoreError") }
        }
        if reads != .whole {
            // However the input is cut into reads, the answer is the same.
            var whole = SplitMix(seed: 0)
            switch (read(input.bytes, .whole, &whole), failed) {
            case (.success(let read), nil) where read.map(ImportInput.ExpectedLine.init) != lines.map(ImportInput.ExpectedLine.init):
                problems.append("read as \(reads), \(lines.count) lines; read whole, \(read.count) lines that differ")
            case (.success, .some): problems.append("read as \(reads), refused; read whole, accepted")
            case (.failure, nil): problems.append("read as \(reads), accepted (\(lines.count) lines); read whole, refused")
            default: break
            }
        }
        for line in lines where line.bytes.count > LineReader.maxLine || line.size < line.bytes.count || line.bytes.isEmpty {
            problems.append("line \(line.number) holds \(line.bytes.count) of \(line.size) bytes (at most \(LineReader.maxLine) kept)")
        }
        if failed == nil, input.mutations.isEmpty || input.packed, let text = input.text {
            // (A mutated gzip stream that still unpacks must unpack to the original text.)
            let expected = ImportInput.lines(of: text)
            // Plain text, or a gzip stream that still unpacks: exactly the text's lines.
            let got = lines.map(ImportInput.ExpectedLine.init)
            if got != expected {
                let k = zip(got, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, expected.count)
                func show(_ lines: [ImportInput.ExpectedLine]) -> String {
                    k < lines.count ? "line \(lines[k].number) of \(lines[k].size) bytes, \(lines[k].bytes.count) kept, ending \(Array(lines[k].bytes.suffix(4)))" : "no line"
                }
                problems.append("read \(got.count) lines where the text has \(expected.count); line #\(k + 1) read: \(show(got)); in the text: \(show(expected))")
            }
        }
        if failed != nil, !input.packed {
            problems.append("plain text was refused")
        }
        if failed != nil, input.packed, input.mutations.isEmpty {
            problems.append("a whole gzip stream was refused")
        }
        if input.mutations.contains("truncated"), failed == nil, input.bytes.count < input.original.count {
            problems.append("a gzip stream cut short by \(input.original.count - input.bytes.count) bytes was read as whole")
        }
        // Each line through the reader the importer uses.
        for line in lines where line.size <= MessageReader.maxMessageBytes {
            do {
                problems += messageProblems(try MessageReader.line(line.bytes, receivedAt: IngestionFuzzTests.now, defaultMessageID: { "derived" }))
            } catch is MessageError {
            } catch {
                problems.append("MessageReader.line threw \(type(of: error)), not a MessageError: \(error)")
            }
        }
        return problems
    }

    /// One bounded fuzzing run: time, counts, reports and saved inputs.
    struct Run {
        let name: String
        let seconds: Int
        let seed: UInt64
        let artifacts: URL?
        let clock = ContinuousClock()
        let started: ContinuousClock.Instant
        var inputs = 0, failures = 0
        var reported: Set<String> = []
        /// The input that used the most of its time limit.
        var slowest = (share: 0.0, bytes: 0, seconds: 0.0)
        private var lastInput: FileHandle?

        init(name: String, defaultSeconds: Int) {
            let environment = ProcessInfo.processInfo.environment
            self.name = name
            seconds = max(1, environment["RAPPORT_FUZZ_SECONDS"].flatMap(Int.init) ?? defaultSeconds)
            seed = environment["RAPPORT_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5EED_1A6E
            artifacts = environment["RAPPORT_FUZZ_ARTIFACTS"].map { URL(fileURLWithPath: $0) }
            started = clock.now
            if let artifacts {
                // The input being read, so that a crash that kills the process leaves it behind.
                try? FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
                let path = artifacts.appendingPathComponent("last-input").path
                _ = FileManager.default.createFile(atPath: path, contents: nil)
                lastInput = FileHandle(forWritingAtPath: path)
            }
        }

        var goingOn: Bool { clock.now - started < .seconds(seconds) }

        mutating func check(_ bytes: [UInt8], suffix: String, _ problems: () -> [String]) {
            inputs += 1
            if let lastInput {
                try? lastInput.seek(toOffset: 0)
                lastInput.write(Data(bytes))
                try? lastInput.truncate(atOffset: UInt64(bytes.count))
            }
            var found: [String] = []
            var elapsed = clock.measure { found = problems() }.seconds
            let limit = IngestionFuzz.maxSeconds(forBytes: bytes.count)
            if elapsed > limit {
                // Once more, in case the machine was busy: the faster of the two counts.
                elapsed = min(elapsed, clock.measure { _ = problems() }.seconds)
                if elapsed > limit { found.append("slow: \(String(format: "%.2f", elapsed)) s for \(bytes.count) bytes, more than \(String(format: "%.2f", limit)) s") }
            }
            if elapsed / limit > slowest.share { slowest = (elapsed / limit, bytes.count, elapsed) }
            guard !found.isEmpty else { return }
            failures += 1
            let saved = save(bytes, suffix: suffix)
            // One issue per kind of problem, so a broken invariant does not print thousands.
            let kind = String(found[0].replacing(/[0-9]+/, with: "#").prefix(80))
            if reported.insert(kind).inserted {
                Issue.record("""
                    \(found.joined(separator: "\n"))
                    input (\(bytes.count) bytes\(saved.map { ", saved to \($0)" } ?? "")): \(String(decoding: bytes.prefix(400), as: UTF8.self).debugDescription)
                    """)
            }
        }

        func save(_ bytes: [UInt8], suffix: String) -> String? {
            guard let artifacts else { return nil }
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
            let file = artifacts.appendingPathComponent("failure-\(String(hash, radix: 16)).\(suffix)")
            try? Data(bytes).write(to: file)
            return file.path
        }

        func finish() {
            try? lastInput?.close()
            let elapsed = (clock.now - started).seconds
            print("fuzz \(name): \(inputs) inputs in \(Int(elapsed.rounded())) s, \(failures) failures (seed \(seed); slowest: "
                  + "\(slowest.bytes) bytes in \(String(format: "%.3f", slowest.seconds)) s, \(Int(slowest.share * 100))% of its limit)")
            #expect(inputs > 0)
            #expect(failures == 0, "\(failures) of \(inputs) generated inputs broke an invariant (kinds above)")
        }
    }
}

extension SplitMix {
    /// A number in `0..<bound` (0 when `bound` is 0).
    mutating func below(_ bound: Int) -> Int { bound <= 0 ? 0 : Int(next() % UInt64(bound)) }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
