import Foundation
import RapportTestSupport
@testable import RapportStore

// The import-file generator of `IngestionFuzzTests`: NDJSON texts, plain or gzip (written here
// as stored deflate blocks, or by `gzip`), and the ways a gzip stream gets broken.

/// One generated input for the NDJSON importer's line reader.
struct ImportInput {
    /// The unpacked text (what the lines must be), when known.
    var text: [UInt8]?
    /// What the reader is fed.
    var bytes: [UInt8]
    var original: [UInt8]
    var packed: Bool
    var mutations: [String]

    struct ExpectedLine: Equatable {
        var number: Int
        var bytes: [UInt8]
        var size: Int

        init(number: Int, bytes: [UInt8], size: Int) {
            // A carriage return that ends the last line, without a newline after it, counts or not.
            if bytes.count == size, bytes.last == 0x0D {
                self.bytes = Array(bytes.dropLast())
                self.size = size - 1
            } else {
                self.bytes = bytes
                self.size = size
            }
            self.number = number
        }

        init(_ line: LineReader.Line) { self.init(number: line.number, bytes: line.bytes, size: line.size) }
    }

    /// The lines of `text` as the importer numbers them: cut at `\n`, a `\r` before it dropped,
    /// empty lines counted but not returned, at most `LineReader.maxLine` bytes kept of each.
    static func lines(of text: [UInt8]) -> [ExpectedLine] {
        var lines: [ExpectedLine] = []
        var number = 0
        var start = 0
        for (i, byte) in text.enumerated() where byte == 0x0A {
            number += 1
            var line = text[start..<i]
            // A line past the limit keeps its `\r` in its size (it is refused either way).
            if line.last == 0x0D, line.count <= LineReader.maxLine { line = line.dropLast() }
            if !line.isEmpty { lines.append(ExpectedLine(number: number, bytes: Array(line.prefix(LineReader.maxLine)), size: line.count)) }
            start = i + 1
        }
        if start < text.count {
            lines.append(ExpectedLine(number: number + 1, bytes: Array(text[start...].prefix(LineReader.maxLine)), size: text.count - start))
        }
        return lines
    }

    static func generate(_ random: inout SplitMix, packedBases: [(text: [UInt8], packed: [UInt8])]) -> ImportInput {
        if !packedBases.isEmpty, random.below(8) == 0 {
            let base = packedBases[random.below(packedBases.count)]
            var input = ImportInput(text: base.text, bytes: base.packed, original: base.packed, packed: true, mutations: [])
            if random.below(4) != 0 { mutateGzip(&input, &random) }
            return input
        }
        var text: [UInt8] = []
        for _ in 0..<random.below(random.below(4) == 0 ? 40 : 8) {
            switch random.below(10) {
            case 0: text += [] // an empty line
            case 1 where random.below(4) == 0: // a long line, at the limit or past it
                text += Array(repeating: UInt8(ascii: "x"), count: random.below(2) == 0 ? LineReader.maxLine - 1 + random.below(3) : random.below(100_000))
            case 2: text += [0xFF, 0xFE, 0x00, 0x0D, 0xC0]
            default: text += MessageInput.generate(&random).bytes.filter { $0 != 0x0A }
            }
            text += random.below(4) == 0 ? [0x0D, 0x0A] : [0x0A]
        }
        if random.below(3) == 0, !text.isEmpty { text.removeLast() } // no newline at the end
        if text.first == 0x1F { text[0] = 0x20 }
        guard random.below(3) == 0 else {
            return ImportInput(text: text, bytes: text, original: text, packed: false, mutations: [])
        }
        let packed = gzipStored(text, blockSize: 1 + random.below(70_000))
        var input = ImportInput(text: text, bytes: packed, original: packed, packed: true, mutations: [])
        if random.below(2) == 0 { mutateGzip(&input, &random) }
        return input
    }

    static func mutateGzip(_ input: inout ImportInput, _ random: inout SplitMix) {
        var b = input.bytes
        switch random.below(6) {
        case 0:
            b.removeLast(min(b.count - 2, 1 + random.below(random.below(2) == 0 ? 9 : b.count)))
            input.mutations.append("truncated")
        case 1:
            b += (0..<(1 + random.below(20))).map { _ in UInt8(random.below(256)) }
            input.mutations.append("padded")
        case 2:
            b += b
            input.mutations.append("two members")
        case 3:
            let at = 2 + random.below(b.count - 2)
            b[at] ^= UInt8(1 << random.below(8))
            input.mutations.append("bit flipped at \(at)")
        case 4:
            let at = 2 + random.below(b.count - 2)
            b.removeSubrange(at..<min(b.count, at + 1 + random.below(40)))
            input.mutations.append("bytes removed at \(at)")
        default:
            b.replaceSubrange(10..<b.count, with: (0..<random.below(2000)).map { _ in UInt8(random.below(256)) })
            input.mutations.append("garbage after the header")
        }
        input.bytes = b
    }

    /// `data` as a gzip stream of stored (uncompressed) deflate blocks, RFC 1951 and 1952.
    static func gzipStored(_ data: [UInt8], blockSize: Int) -> [UInt8] {
        var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]
        var offset = 0
        repeat {
            let end = min(data.count, offset + min(max(blockSize, 1), 65_535))
            let count = end - offset
            out.append(end == data.count ? 1 : 0)
            out += [UInt8(count & 0xFF), UInt8(count >> 8), UInt8(~count & 0xFF), UInt8((~count >> 8) & 0xFF)]
            out += data[offset..<end]
            offset = end
        } while offset < data.count
        let crc = crc32(data)
        out += [UInt8(crc & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8((crc >> 16) & 0xFF), UInt8(crc >> 24)]
        let size = UInt32(truncatingIfNeeded: data.count)
        out += [UInt8(size & 0xFF), UInt8((size >> 8) & 0xFF), UInt8((size >> 16) & 0xFF), UInt8(size >> 24)]
        return out
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
        }
        return ~crc
    }

    /// A few texts packed by `gzip` itself (real deflate), if the machine has it.
    static func gzipBases() -> [(text: [UInt8], packed: [UInt8])] {
        guard FileManager.default.isExecutableFile(atPath: "/bin/gzip") else { return [] }
        var random = SplitMix(seed: 42)
        return (0..<3).compactMap { n in
            let lines = (0..<(20 + 200 * n)).map { _ in
                MessageInput.message(MessageType.allCases[random.below(MessageType.allCases.count)], typed: true, &random).bytes.filter { $0 != 0x0A }
            }
            let text = Array(lines.joined(separator: [0x0A]))
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(UUID().uuidString).ndjson")
            defer { try? FileManager.default.removeItem(at: file) }
            guard (try? Data(text).write(to: file)) != nil else { return nil }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/gzip")
            process.arguments = ["-c", "-\(1 + 4 * n)", file.path]
            let pipe = Pipe()
            process.standardOutput = pipe
            guard (try? process.run()) != nil else { return nil }
            let packed = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return process.terminationStatus == 0 ? (text, Array(packed)) : nil
        }
    }
}
