/// Turns RQL text into tokens (LANGUAGE.md, "Lexical"). Problems become diagnostics and the
/// lexer carries on, so that several errors are reported at once.
public enum Lexer {
    static let durationUnits = ["min", "mo", "d", "w", "h", "y"]

    public static func tokenize(_ text: String) -> (tokens: [Token], diagnostics: [Diagnostic]) {
        let bytes = Array(text.utf8)
        var tokens: [Token] = []
        var diagnostics: [Diagnostic] = []
        var i = 0

        func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
        func isNameStart(_ b: UInt8) -> Bool { (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95 }
        func isName(_ b: UInt8) -> Bool { isNameStart(b) || isDigit(b) }
        func slice(_ a: Int, _ b: Int) -> String { String(decoding: bytes[a..<b], as: UTF8.self) }
        func digits(at j: Int, count: Int) -> Bool {
            j + count <= bytes.count && (j..<j + count).allSatisfy { isDigit(bytes[$0]) }
        }

        while i < bytes.count {
            let b = bytes[i]
            let start = i
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { i += 1; continue }
            if b == UInt8(ascii: "-"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "-") {
                while i < bytes.count, bytes[i] != 0x0A { i += 1 }
                continue
            }
            if isNameStart(b) {
                while i < bytes.count, isName(bytes[i]) { i += 1 }
                if i - start > RQL.Limits.nameBytes {
                    diagnostics.append(.tooLong("a name", limit: RQL.Limits.nameBytes, SourceRange(start, i)))
                }
                tokens.append(Token(.word, slice(start, i), SourceRange(start, i)))
                continue
            }
            if isDigit(b) {
                // A date (YYYY-MM-DD) or timestamp (…THH:MM[:SS[.fff]][Z|±HH:MM]).
                if digits(at: i, count: 4), i + 10 <= bytes.count, bytes[i + 4] == UInt8(ascii: "-"),
                   digits(at: i + 5, count: 2), bytes[i + 7] == UInt8(ascii: "-"), digits(at: i + 8, count: 2) {
                    i += 10
                    var kind = Token.Kind.date
                    if i < bytes.count, bytes[i] == UInt8(ascii: "T"), digits(at: i + 1, count: 2) {
                        kind = .timestamp
                        i += 1
                        while i < bytes.count, isDigit(bytes[i]) || [UInt8(ascii: ":"), UInt8(ascii: "."), UInt8(ascii: "Z"),
                                                                      UInt8(ascii: "+")].contains(bytes[i])
                                || (bytes[i] == UInt8(ascii: "-") && i + 1 < bytes.count && isDigit(bytes[i + 1])) {
                            i += 1
                        }
                    }
                    tokens.append(Token(kind, slice(start, i), SourceRange(start, i)))
                    continue
                }
                while i < bytes.count, isDigit(bytes[i]) { i += 1 }
                if i + 1 < bytes.count, bytes[i] == UInt8(ascii: "."), isDigit(bytes[i + 1]) {
                    i += 1
                    while i < bytes.count, isDigit(bytes[i]) { i += 1 }
                }
                let number = slice(start, i)
                if i < bytes.count, bytes[i] == UInt8(ascii: "%") {
                    i += 1
                    tokens.append(Token(.percent, number, SourceRange(start, i)))
                    continue
                }
                // A short duration: a unit glued to the number (90d, 30min, 3mo).
                var end = i
                while end < bytes.count, isNameStart(bytes[end]) { end += 1 }
                if end > i {
                    let unit = slice(i, end)
                    if durationUnits.contains(unit) {
                        tokens.append(Token(.duration, number + unit, SourceRange(start, end)))
                    } else {
                        diagnostics.append(.unknownUnit(unit, SourceRange(i, end)))
                    }
                    i = end
                    continue
                }
                tokens.append(Token(.number, number, SourceRange(start, i)))
                continue
            }
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") || b == UInt8(ascii: "`") {
                let quote = b
                i += 1
                var value: [UInt8] = []
                var closed = false
                while i < bytes.count {
                    let c = bytes[i]
                    if c == quote { closed = true; i += 1; break }
                    if c == 0x0A && quote == UInt8(ascii: "`") { break }
                    if c == UInt8(ascii: "\\"), quote != UInt8(ascii: "`"), i + 1 < bytes.count {
                        let e = bytes[i + 1]
                        switch e {
                        case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "\\"): value.append(e); i += 2
                        case UInt8(ascii: "n"): value.append(0x0A); i += 2
                        case UInt8(ascii: "t"): value.append(0x09); i += 2
                        case UInt8(ascii: "u") where i + 2 < bytes.count && bytes[i + 2] == UInt8(ascii: "{"):
                            var j = i + 3
                            while j < bytes.count, bytes[j] != UInt8(ascii: "}"), j - i < 12 { j += 1 }
                            if j < bytes.count, bytes[j] == UInt8(ascii: "}"), let code = UInt32(slice(i + 3, j), radix: 16),
                               let scalar = Unicode.Scalar(code) {
                                value.append(contentsOf: Array(String(Character(scalar)).utf8))
                            } else {
                                diagnostics.append(.badUnicodeEscape(SourceRange(i, min(j + 1, bytes.count))))
                            }
                            i = min(j + 1, bytes.count)
                        default:
                            diagnostics.append(.unknownEscape(Character(Unicode.Scalar(e)), SourceRange(i, i + 2)))
                            i += 2
                        }
                        continue
                    }
                    value.append(c)
                    i += 1
                }
                let isName = quote == UInt8(ascii: "`")
                if value.contains(0) {
                    diagnostics.append(.nulCharacter(inName: isName, SourceRange(start, i)))
                    value.removeAll { $0 == 0 }
                }
                if !closed {
                    diagnostics.append(.unterminated(name: isName, SourceRange(start, i)))
                }
                let limit = isName ? RQL.Limits.nameBytes : RQL.Limits.stringBytes
                if value.count > limit {
                    diagnostics.append(.tooLong(isName ? "a name" : "a string", limit: limit, SourceRange(start, i)))
                }
                tokens.append(Token(isName ? .quotedName : .string, String(decoding: value, as: UTF8.self), SourceRange(start, i)))
                continue
            }
            let two = i + 1 < bytes.count ? slice(i, i + 2) : ""
            if ["!=", "<=", ">=", "->"].contains(two) {
                i += 2
                tokens.append(Token(.symbol, two, SourceRange(start, i)))
                continue
            }
            if Array("|(),;.=<>+-*/".utf8).contains(b) {
                i += 1
                tokens.append(Token(.symbol, slice(start, i), SourceRange(start, i)))
                continue
            }
            // Anything else: one unknown character (a whole UTF-8 sequence).
            i += 1
            while i < bytes.count, bytes[i] & 0xC0 == 0x80 { i += 1 }
            diagnostics.append(.unexpectedCharacter(slice(start, i), SourceRange(start, i)))
        }
        tokens.append(Token(.end, "", SourceRange(bytes.count, bytes.count)))
        return (tokens, diagnostics)
    }
}
