/// A query's text with its line starts, for turning UTF-8 offsets into lines and columns
/// (only when rendering: diagnostics carry offsets).
public struct SourceText: Sendable {
    public let text: String
    private let utf8: [UInt8]
    private let lineStarts: [Int]

    public init(_ text: String) {
        self.text = text
        utf8 = Array(text.utf8)
        var starts = [0]
        for (offset, byte) in utf8.enumerated() where byte == 0x0A { starts.append(offset + 1) }
        lineStarts = starts
    }

    /// The 1-based line and column (in characters) of `offset`.
    public func location(of offset: Int) -> (line: Int, column: Int) {
        let clamped = min(max(offset, 0), utf8.count)
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= clamped { low = mid } else { high = mid - 1 }
        }
        let prefix = utf8[lineStarts[low]..<clamped]
        return (low + 1, String(decoding: prefix, as: UTF8.self).count + 1)
    }

    /// The text of 1-based `line`, without its newline.
    public func line(_ line: Int) -> String {
        guard line >= 1, line <= lineStarts.count else { return "" }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : utf8.count
        if end > start, utf8[end - 1] == 0x0D { end -= 1 }
        return String(decoding: utf8[start..<end], as: UTF8.self)
    }
}
