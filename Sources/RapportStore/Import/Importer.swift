import CompressNIO
import Crypto
import Foundation
import NIOCore

/// Bulk import of Segment-shaped NDJSON (one message a line, `type` required), plain or
/// gzipped, streamed in batches through the same ingestion as the HTTP API.
///
/// - Lines without a `messageId` get one derived from the line's bytes, so importing the same
///   file again stores nothing twice.
/// - Lines that cannot be read are written, with their line number and reason, to a side
///   file, and the import goes on.
/// - Parsing the next batch overlaps with writing the previous one.
public struct Importer: Sendable {
    public struct Options: Sendable {
        /// The source name recorded on the events.
        public var source: String?
        public var batchSize: Int
        /// Where rejected lines go (created only if a line is rejected).
        public var rejectsPath: String

        public init(source: String? = "import", batchSize: Int = 5_000, rejectsPath: String) {
            self.source = source
            self.batchSize = batchSize
            self.rejectsPath = rejectsPath
        }
    }

    /// Where an import stands.
    public struct Progress: Sendable {
        public var bytesRead: Int
        public var totalBytes: Int?
        public var lines: Int
        public var stored: Int
        public var rejected: Int
        public var seconds: Double
    }

    /// What an import did.
    public struct Summary: Sendable, Codable {
        public var lines = 0
        public var rejected = 0
        public var result = IngestResult()
        public var seconds = 0.0
        /// The side file, if any line was rejected.
        public var rejectsPath: String?
    }

    let store: Store
    let tenant: Tenant
    let options: Options

    public init(store: Store, tenant: Tenant, options: Options) {
        self.store = store
        self.tenant = tenant
        self.options = options
    }

    /// Imports everything `input` holds.
    /// - Parameters:
    ///   - totalBytes: the input's size, if known, for progress.
    ///   - progress: called after each batch and at the end.
    public func run(_ input: FileHandle, totalBytes: Int?, progress: @Sendable (Progress) -> Void = { _ in }) async throws -> Summary {
        let started = Date()
        var summary = Summary()
        var reader = LineReader()
        var batch: [IngestMessage] = []
        var rejects: FileHandle?
        var bytesRead = 0
        var writing: Task<IngestResult, any Error>?
        defer { try? rejects?.close() }

        func report() {
            progress(Progress(bytesRead: bytesRead, totalBytes: totalBytes, lines: summary.lines,
                              stored: summary.result.accepted + summary.result.duplicates, rejected: summary.rejected,
                              seconds: Date().timeIntervalSince(started)))
        }
        func flush() async throws {
            if let writing { summary.result.add(try await writing.value) }
            writing = nil
            guard !batch.isEmpty else { return }
            let (messages, store, tenant) = (batch, self.store, self.tenant)
            writing = Task { try await store.ingest(messages, tenant: tenant) }
            batch.removeAll(keepingCapacity: true)
            report()
        }
        func reject(_ line: [UInt8], number: Int, reason: String) throws {
            if rejects == nil {
                _ = FileManager.default.createFile(atPath: options.rejectsPath, contents: nil)
                guard let handle = FileHandle(forWritingAtPath: options.rejectsPath) else {
                    throw StoreError.invalidInput("The rejects file \(options.rejectsPath) cannot be written.")
                }
                rejects = handle
                summary.rejectsPath = options.rejectsPath
            }
            let record: JSONValue = .object([
                "line": .number(String(number)), "reason": .string(reason),
                "text": .string(String(decoding: line.prefix(MessageReader.maxMessageBytes + 1), as: UTF8.self)),
            ])
            rejects?.write(Data((record.jsonText + "\n").utf8))
            summary.rejected += 1
        }

        while true {
            let chunk = try input.read(upToCount: 1 << 20) ?? Data()
            bytesRead += chunk.count
            var offset = chunk.startIndex
            repeat {
                // Packed input (or input not yet known to be plain) goes in small pieces, so the
                // lines of one piece stay small however well it packs.
                let piece = reader.isPacked || !reader.isDecided ? LineReader.packedPiece : chunk.count
                let end = min(chunk.endIndex, offset + max(piece, 1))
                let lines = try reader.feed(chunk[offset..<end], final: chunk.isEmpty)
                offset = end
                summary.lines = reader.linesRead
                let receivedAt = Timestamp.now()
                for line in lines {
                    do {
                        guard line.size <= MessageReader.maxMessageBytes else {
                            throw MessageError(reason: "the message is \(line.size) bytes; the limit is \(MessageReader.maxMessageBytes) bytes (32 KB)")
                        }
                        var message = try MessageReader.line(line.bytes, receivedAt: receivedAt, defaultMessageID: { Self.derivedID(line.bytes) })
                        message.source = options.source
                        batch.append(message)
                    } catch {
                        try reject(line.bytes, number: line.number, reason: "\(error)")
                    }
                    if batch.count >= options.batchSize { try await flush() }
                }
            } while offset < chunk.endIndex
            if chunk.isEmpty { break }
        }
        try await flush()
        try await flush()
        if summary.result.accepted > 0 {
            // Fresh statistics, so that the first questions about a large import are planned
            // for its real size rather than for the empty tables autovacuum last saw.
            try await store.withTenant(tenant) { connection in
                try await connection.query("ANALYZE events, profiles, identities, event_summaries, profile_summaries, order_days",
                                           logger: store.logger)
            }
        }
        summary.seconds = Date().timeIntervalSince(started)
        report()
        return summary
    }

    /// `import-` and the first 32 hex digits of the line's SHA-256.
    static func derivedID(_ line: [UInt8]) -> String {
        "import-" + hex(SHA256.hash(data: line).prefix(16))
    }
}

/// Splits a byte stream, plain or gzip (detected by its magic bytes), into numbered lines,
/// holding no more of a line than ``maxLine`` bytes however long it is (the rest is counted,
/// not kept), and checking a gzip stream's trailer at the end.
struct LineReader {
    struct Line {
        var number: Int
        /// The line's bytes, at most ``LineReader/maxLine`` of them.
        var bytes: [UInt8]
        /// The line's whole length, past `bytes` for a line that was cut.
        var size: Int
    }

    /// One byte more than the largest message, so a line over the limit shows it.
    static let maxLine = MessageReader.maxMessageBytes + 1
    /// Packed input is unpacked this much at a time, so one call makes at most about a
    /// megabyte of lines however well the input packs.
    static let packedPiece = 1 << 10

    private var pending: [UInt8] = []
    /// The whole length of the line in `pending` (more than its count once cut).
    private var pendingSize = 0
    private var lineNumber = 0
    private var decompressor: (any NIODecompressor)?
    private var gzip = GzipCheck()
    /// Where packed input is unpacked, a window at a time (kept: a feed is a kilobyte).
    private var window = ByteBufferAllocator().buffer(capacity: 1 << 16)
    private var decided = false
    /// The first byte, kept until the second decides whether the input is gzip.
    private var head: [UInt8] = []

    /// Whether the input is gzip.
    var isPacked: Bool { decompressor != nil }
    /// Whether the first two bytes have said gzip or not.
    var isDecided: Bool { decided }
    /// Lines read so far, empty ones included.
    var linesRead: Int { lineNumber }

    mutating func feed(_ input: some Collection<UInt8>, final: Bool) throws -> [Line] {
        var lines: [Line] = []
        // Gzip or not is decided on the first two bytes, however the input is cut into reads.
        var chunk = Array(input)
        if !decided {
            head += chunk
            guard head.count >= 2 || final else { return [] }
            decided = true
            chunk = head
            head = []
            if chunk.count >= 2, chunk[0] == 0x1F, chunk[1] == 0x8B {
                let d = CompressionAlgorithm.gzip().decompressor
                try d.startStream()
                decompressor = d
            }
        }
        if let decompressor {
            gzip.packed(chunk)
            var input = ByteBuffer(bytes: chunk)
            while input.readableBytes > 0 {
                let before = input.readableBytes
                window.clear()
                do {
                    try input.decompressStream(to: &window, with: decompressor)
                } catch let error as CompressNIOError where error == .bufferOverflow {
                    // The window is full: split it and go on.
                } catch {
                    throw StoreError.invalidInput("The input looks gzipped but cannot be unpacked: \(error).")
                }
                gzip.unpacked(window.readableBytesView)
                split(window.readableBytesView, into: &lines)
                if input.readableBytes == before, window.readableBytes == 0 {
                    throw StoreError.invalidInput("The gzip input has bytes after its end (only one gzip stream is read).")
                }
            }
        } else {
            split(chunk, into: &lines)
        }
        if final {
            if pendingSize > 0 {
                lineNumber += 1
                lines.append(Line(number: lineNumber, bytes: pending, size: pendingSize))
                pending = []
                pendingSize = 0
            }
            if let decompressor {
                try? decompressor.finishStream()
                guard gzip.isComplete else {
                    throw StoreError.invalidInput("The gzip input is cut short: its checksum or length does not match what it unpacks to.")
                }
            }
        }
        return lines
    }

    private mutating func split(_ bytes: some Collection<UInt8>, into lines: inout [Line]) {
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: 0x0A) {
            take(bytes[start..<newline])
            lineNumber += 1
            if pending.last == 0x0D, pendingSize == pending.count {
                pending.removeLast()
                pendingSize -= 1
            }
            // Empty lines are numbered, not returned.
            if pendingSize > 0 { lines.append(Line(number: lineNumber, bytes: pending, size: pendingSize)) }
            pending = []
            pendingSize = 0
            start = bytes.index(after: newline)
        }
        take(bytes[start...])
    }

    /// Adds to the current line, keeping at most ``maxLine`` bytes of it.
    private mutating func take(_ bytes: some Collection<UInt8>) {
        pendingSize += bytes.count
        let room = Self.maxLine - pending.count
        if room > 0 { pending.append(contentsOf: bytes.prefix(room)) }
    }
}
