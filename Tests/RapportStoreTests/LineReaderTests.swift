import Foundation
import Testing
@testable import RapportStore

/// The import's line splitter (issue 14): a line is never held past the message limit, and a
/// gzip stream that is cut short or padded is an error, not a shorter file.
@Suite struct LineReaderTests {
    func gzip(_ data: Data) throws -> Data {
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("lines-\(UUID().uuidString)")
        try data.write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-c", input.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let packed = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return packed
    }

    /// Feeds `data` as the importer does (1 MB reads; packed input in small pieces).
    func lines(_ data: Data) throws -> [LineReader.Line] {
        var reader = LineReader()
        var out: [LineReader.Line] = []
        var offset = 0
        repeat {
            let chunk = data[offset..<min(data.count, offset + (1 << 20))]
            offset += chunk.count
            let piece = reader.isPacked || chunk.starts(with: [0x1F, 0x8B]) ? LineReader.packedPiece : max(chunk.count, 1)
            var start = chunk.startIndex
            repeat {
                let end = min(chunk.endIndex, start + piece)
                out += try reader.feed(chunk[start..<end], final: false)
                start = end
            } while start < chunk.endIndex
        } while offset < data.count
        out += try reader.feed(Data(), final: true)
        return out
    }

    @Test func aHugeLineIsCountedNotKept() throws {
        let huge = Data(repeating: UInt8(ascii: "x"), count: 2 << 20)
        let data = Data("{\"a\":1}\r\n\n".utf8) + huge + Data("\nlast".utf8)
        for input in [data, try gzip(data)] {
            let read = try lines(input)
            #expect(read.map(\.number) == [1, 3, 4])
            #expect(read.map(\.size) == [7, 2 << 20, 4])
            #expect(read[1].bytes.count == LineReader.maxLine)
            #expect(read[0].bytes == Array("{\"a\":1}".utf8))
            #expect(read[2].bytes == Array("last".utf8))
        }
    }

    @Test func aGzipStreamCutShortOrPaddedIsAnError() throws {
        let packed = try gzip(Data(String(repeating: "{\"type\":\"identify\",\"userId\":\"u\"}\n", count: 1000).utf8))
        #expect(try lines(packed).count == 1000)
        for broken in [packed.dropLast(4), packed.dropLast(9), packed + Data([0x41, 0x42]), packed + packed] {
            #expect(throws: StoreError.self) { try lines(Data(broken)) }
        }
    }

    /// A small file that unpacks to a gigabyte is read a window at a time: every line is cut to
    /// the limit, and lines come back a piece at a time.
    @Test func aGzipBombIsReadInBoundedPieces() throws {
        let bomb = try gzip(Data(repeating: UInt8(ascii: "y"), count: 8 << 20))
        #expect(bomb.count < 1 << 20)
        var reader = LineReader()
        var largest = 0
        var offset = 0
        while offset < bomb.count {
            let end = min(bomb.count, offset + LineReader.packedPiece)
            let lines = try reader.feed(bomb[offset..<end], final: false)
            largest = max(largest, lines.map(\.bytes.count).max() ?? 0)
            offset = end
        }
        let last = try reader.feed(Data(), final: true)
        #expect(last.count == 1 && last[0].size == 8 << 20 && last[0].bytes.count == LineReader.maxLine)
        #expect(largest <= LineReader.maxLine)
    }
}
