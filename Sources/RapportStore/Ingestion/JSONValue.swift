/// A JSON value as ingestion needs it: numbers keep their text (so ids beyond 2^53 survive),
/// and values serialise back to compact JSON for `jsonb` columns.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's lexeme, as sent.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var doubleValue: Double? {
        if case .number(let n) = self { return Double(n) }
        return nil
    }

    /// A short name of the value's type, for error messages and the catalogue.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "text"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// Compact JSON text, object keys sorted.
    public var jsonText: String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends compact JSON to `out`; object keys sorted unless `sortKeys` is false (jsonb
    /// orders keys itself, so the ingestion path skips the sort).
    public func write(to out: inout [UInt8], sortKeys: Bool = true) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): out.append(contentsOf: n.utf8)
        case .string(let s): Self.writeString(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out, sortKeys: sortKeys)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            var first = true
            if sortKeys {
                for key in object.keys.sorted() {
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    Self.writeString(key, to: &out)
                    out.append(UInt8(ascii: ":"))
                    object[key]!.write(to: &out, sortKeys: true)
                }
            } else {
                for (key, value) in object {
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    Self.writeString(key, to: &out)
                    out.append(UInt8(ascii: ":"))
                    value.write(to: &out, sortKeys: false)
                }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 0x0A: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// Why a JSON text could not be read; `offset` is in bytes.
public struct JSONParseError: Error, Equatable, CustomStringConvertible {
    public var offset: Int
    public var reason: String
    public var description: String { "malformed JSON at byte \(offset): \(reason)" }
}

/// A strict JSON parser over UTF-8 bytes (RFC 8259), the one reader of every JSON body.
/// Refused, each with its reason: invalid UTF-8 and lone surrogate escapes (replacing them
/// would make different identifiers equal), and the NUL character, which PostgreSQL's text
/// and jsonb cannot hold.
public struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0
    private var inBatch = false
    /// Byte ranges of the elements of the top-level object's `batch` array, in order.
    public private(set) var elementSpans: [Range<Int>] = []
    static let maxDepth = 200

    /// Parses `data` as one JSON value.
    public static func parse(_ data: some Collection<UInt8>) throws -> JSONValue {
        try parseWithSpans(data).value
    }

    /// Parses `data`, also returning the byte ranges of a batch's elements.
    public static func parseWithSpans(_ data: some Collection<UInt8>) throws -> (value: JSONValue, spans: [Range<Int>]) {
        let array = Array(data)
        return try array.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(bytes: buffer)
            parser.skipWhitespace()
            let value = try parser.parseValue()
            parser.skipWhitespace()
            guard parser.index == buffer.count else { throw parser.error("unexpected text after the value") }
            return (value, parser.elementSpans)
        }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private func error(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason) }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws -> JSONValue {
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected character")
        }
    }

    private mutating func literal(_ word: StaticString, _ value: JSONValue) throws -> JSONValue {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("unexpected end of input") }
        for i in 0..<count where bytes[index + i] != word.utf8Start[i] { throw error("unexpected character") }
        index += count
        return value
    }

    private mutating func parseObject() throws -> JSONValue {
        depth += 1
        guard depth <= Self.maxDepth else { throw error("nested too deeply") }
        defer { depth -= 1 }
        index += 1
        var object: [String: JSONValue] = [:]
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a quoted key") }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected `:` after a key") }
            index += 1
            skipWhitespace()
            inBatch = depth == 1 && key == "batch"
            object[key] = try parseValue()
            inBatch = false
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(object) }
            throw error("expected `,` or `}`")
        }
    }

    private mutating func parseArray() throws -> JSONValue {
        depth += 1
        guard depth <= Self.maxDepth else { throw error("nested too deeply") }
        defer { depth -= 1 }
        let recordSpans = depth == 2 && inBatch
        inBatch = false
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            let start = index
            items.append(try parseValue())
            if recordSpans { elementSpans.append(start..<index) }
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            throw error("expected `,` or `]`")
        }
    }

    private mutating func parseNumber() throws -> JSONValue {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw error("malformed number") }
        if bytes[index] == UInt8(ascii: "0") { index += 1 } else { while index < bytes.count, isDigit(bytes[index]) { index += 1 } }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("malformed number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("malformed number") }
            let exponentStart = index
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            // PostgreSQL's numeric (and so jsonb) holds exponents of a few thousand at most.
            guard index - exponentStart <= 3 else { throw error("number out of range") }
        }
        guard index - start <= 1000 else { throw error("number too long") }
        return .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

    private mutating func parseString() throws -> String {
        index += 1
        let start = index
        // Fast path: no escapes, no control characters, no NUL.
        var ascii = true
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let raw = UnsafeBufferPointer(rebasing: bytes[start..<index])
                let s = ascii ? String(decoding: raw, as: UTF8.self) : try validUTF8(raw, at: start)
                index += 1
                return s
            }
            if b == UInt8(ascii: "\\") || b < 0x20 { break }
            if b >= 0x80 { ascii = false }
            index += 1
        }
        let stringStart = start
        var out = Array(bytes[start..<index])
        while index < bytes.count {
            let b = bytes[index]
            switch b {
            case UInt8(ascii: "\""):
                index += 1
                // After escapes the offset within the string is not the input's: the string's start is named.
                return try out.withUnsafeBufferPointer { try validUTF8($0, at: stringStart, exact: false) }
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw error("unexpected end of input") }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""): out.append(34)
                case UInt8(ascii: "\\"): out.append(92)
                case UInt8(ascii: "/"): out.append(47)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "u"):
                    let escape = index - 2
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            index = escape
                            throw error("a lone surrogate escape (`\\u` D800 to DBFF without its pair) is not a character")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else {
                            index = escape
                            throw error("a lone surrogate escape (`\\u` D800 to DBFF without its pair) is not a character")
                        }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard scalar != 0 else {
                        index = escape
                        throw error("the NUL character (`\\u0000`) cannot be stored")
                    }
                    guard let value = Unicode.Scalar(scalar) else {
                        index = escape
                        throw error("a lone surrogate escape (`\\u` DC00 to DFFF) is not a character")
                    }
                    out.append(contentsOf: String(Character(value)).utf8)
                default: throw error("unknown escape `\\\(Character(Unicode.Scalar(e)))`")
                }
            case 0..<0x20:
                throw error(b == 0 ? "the NUL character cannot be stored" : "control character in a string")
            default:
                out.append(b)
                index += 1
            }
        }
        throw error("unterminated string")
    }

    /// `raw` as a String, or an error at the first byte that is not UTF-8 (`start` is where
    /// `raw` began in the input, for the offset).
    private func validUTF8(_ raw: UnsafeBufferPointer<UInt8>, at start: Int, exact: Bool = true) throws -> String {
        if let s = String(validating: raw, as: UTF8.self) { return s }
        guard exact else { throw JSONParseError(offset: start, reason: "a string is not valid UTF-8") }
        var offset = 0
        var iterator = raw.makeIterator()
        var decoder = UTF8()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: break loop
            case .error: break loop
            }
        }
        throw JSONParseError(offset: start + offset, reason: "a string is not valid UTF-8")
    }

    private mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt32
            switch b {
            case 48...57: digit = UInt32(b - 48)
            case 65...70: digit = UInt32(b - 55)
            case 97...102: digit = UInt32(b - 87)
            default: throw error("bad \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}
