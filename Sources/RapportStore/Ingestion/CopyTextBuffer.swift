import NIOCore

/// Rows in PostgreSQL's COPY text format: tab-separated fields, `\N` for null, with
/// backslash, tab, newline and carriage return escaped.
struct CopyTextBuffer {
    private(set) var bytes: [UInt8] = []
    private var fieldsInRow = 0
    private var scratch: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func text(_ value: String?) {
        separate()
        guard let value else { bytes.append(contentsOf: [92, UInt8(ascii: "N")]); return }
        escape(value.utf8)
    }

    mutating func int(_ value: Int64) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func json(_ value: [String: JSONValue]) {
        separate()
        scratch.removeAll(keepingCapacity: true)
        JSONValue.object(value).write(to: &scratch, sortKeys: false)
        escape(scratch)
    }

    /// A timestamp (microseconds since 1970) as `YYYY-MM-DD HH:MM:SS.ffffff+00`.
    mutating func timestamp(_ micros: Int64) {
        separate()
        Timestamp.write(micros, to: &bytes)
    }

    mutating func endRow() {
        bytes.append(0x0A)
        fieldsInRow = 0
    }

    var byteBuffer: ByteBuffer { ByteBuffer(bytes: bytes) }

    private mutating func separate() {
        if fieldsInRow > 0 { bytes.append(0x09) }
        fieldsInRow += 1
    }

    private mutating func escape(_ source: some Sequence<UInt8>) {
        for b in source {
            switch b {
            case 92: bytes.append(contentsOf: [92, 92])
            case 0x09: bytes.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0x0A: bytes.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [92, UInt8(ascii: "r")])
            default: bytes.append(b)
            }
        }
    }
}
