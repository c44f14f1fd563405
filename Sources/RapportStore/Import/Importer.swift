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
            let lines = try reader.feed(chunk, final: chunk.isEmpty)
            let receivedAt = Timestamp.now()
            for line in lines {
                summary.lines += 1
                guard !line.bytes.isEmpty else { continue }
                do {
                    var message = try MessageReader.line(line.bytes, receivedAt: receivedAt, defaultMessageID: { Self.derivedID(line.bytes) })
                    message.source = options.source
                    batch.append(message)
                } catch {
                    try reject(line.bytes, number: line.number, reason: "\(error)")
                }
                if batch.count >= options.batchSize { try await flush() }
            }
            if chunk.isEmpty { break }
        }
        try await flush()
        try await flush()
        if summary.result.accepted > 0 {
            // Fresh statistics, so that the first questions about a large import are planned
            // for its real size rather than for the empty tables autovacuum last saw.
            try await store.withTenant(tenant) { connection in
                try await connection.query("ANALYZE events, profiles, identities", logger: store.logger)
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

/// Splits a byte stream, plain or gzip (detected by its magic bytes), into numbered lines.
struct LineReader {
    private var pending: [UInt8] = []
    private var lineNumber = 0
    private var decompressor: (any NIODecompressor)?
    private var decided = false

    mutating func feed(_ chunk: Data, final: Bool) throws -> [(number: Int, bytes: [UInt8])] {
        var bytes = Array(chunk)
        if !decided, !bytes.isEmpty {
            decided = true
            if bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B {
                let d = CompressionAlgorithm.gzip().decompressor
                d.window = ByteBufferAllocator().buffer(capacity: 1 << 20)
                try d.startStream()
                decompressor = d
            }
        }
        if let decompressor, !bytes.isEmpty {
            var input = ByteBuffer(bytes: bytes)
            var output: [UInt8] = []
            do {
                try input.decompressStream(with: decompressor) { window in output.append(contentsOf: window.readableBytesView) }
            } catch {
                throw StoreError.invalidInput("The input looks gzipped but cannot be unpacked: \(error).")
            }
            bytes = output
        }
        pending.append(contentsOf: bytes)
        var lines: [(Int, [UInt8])] = []
        var start = 0
        for i in pending.indices where pending[i] == 0x0A {
            lineNumber += 1
            var end = i
            if end > start, pending[end - 1] == 0x0D { end -= 1 }
            lines.append((lineNumber, Array(pending[start..<end])))
            start = i + 1
        }
        pending.removeFirst(start)
        if final {
            if !pending.isEmpty {
                lineNumber += 1
                lines.append((lineNumber, pending))
                pending = []
            }
            if let decompressor { try? decompressor.finishStream() }
        }
        return lines
    }
}
