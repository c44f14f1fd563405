/// Splits a SQL file into statements, because PostgreSQL's extended protocol (which
/// PostgresNIO speaks) takes one statement at a time.
///
/// Semicolons inside quoted strings (`'…'`, `E'…'`), quoted identifiers (`"…"`),
/// dollar-quoted bodies (`$$…$$`, `$tag$…$tag$`) and comments (`-- …`, `/* … */`,
/// nested) do not end a statement. Statements that hold only comments are dropped.
public enum SQLScript {
    public static func statements(in text: String) -> [String] {
        let chars = Array(text.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var hasCode = false
        var i = 0

        func flush() {
            let statement = String(current).trimmingWhitespace()
            if hasCode && !statement.isEmpty { statements.append(statement) }
            current = .init()
            hasCode = false
        }
        func consume(until end: Int) {
            current.append(contentsOf: chars[i..<end])
            i = end
        }

        while i < chars.count {
            let c = chars[i]
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            switch c {
            case "-" where next == "-":
                var j = i
                while j < chars.count && chars[j] != "\n" { j += 1 }
                consume(until: j)
            case "/" where next == "*":
                var depth = 0
                var j = i
                repeat {
                    if j + 1 < chars.count && chars[j] == "/" && chars[j + 1] == "*" { depth += 1; j += 2 }
                    else if j + 1 < chars.count && chars[j] == "*" && chars[j + 1] == "/" { depth -= 1; j += 2 }
                    else { j += 1 }
                } while depth > 0 && j < chars.count
                consume(until: j)
            case "'", "\"":
                var j = i + 1
                while j < chars.count {
                    if chars[j] == c {
                        if j + 1 < chars.count && chars[j + 1] == c { j += 2; continue }
                        break
                    }
                    if c == "'" && chars[j] == "\\" && isEscapeString(chars, quoteAt: i) { j += 2; continue }
                    j += 1
                }
                hasCode = true
                consume(until: min(j + 1, chars.count))
            case "$":
                if let tag = dollarTag(chars, at: i) {
                    let tagLength = tag.count
                    var j = i + tagLength
                    while j < chars.count && !matches(chars, at: j, tag) { j += 1 }
                    hasCode = true
                    consume(until: min(j + tagLength, chars.count))
                } else {
                    hasCode = true
                    consume(until: i + 1)
                }
            case ";":
                flush()
                i += 1
            default:
                if !c.properties.isWhitespace { hasCode = true }
                current.append(c)
                i += 1
            }
        }
        flush()
        return statements
    }

    /// `$tag$` starting at `index`, if there is one (a tag is empty or an identifier).
    private static func dollarTag(_ chars: [Unicode.Scalar], at index: Int) -> [Unicode.Scalar]? {
        if index > 0, chars[index - 1].properties.isAlphabetic || ("0"..."9").contains(chars[index - 1]) || chars[index - 1] == "_" {
            return nil  // part of an identifier such as a$1
        }
        var j = index + 1
        while j < chars.count, chars[j] == "_" || chars[j].properties.isAlphabetic || (j > index + 1 && ("0"..."9").contains(chars[j])) {
            j += 1
        }
        guard j < chars.count, chars[j] == "$" else { return nil }
        return Array(chars[index...j])
    }

    private static func matches(_ chars: [Unicode.Scalar], at index: Int, _ tag: [Unicode.Scalar]) -> Bool {
        guard index + tag.count <= chars.count else { return false }
        return Array(chars[index..<index + tag.count]) == tag
    }

    private static func isEscapeString(_ chars: [Unicode.Scalar], quoteAt index: Int) -> Bool {
        index > 0 && (chars[index - 1] == "E" || chars[index - 1] == "e")
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self).unicodeScalars
        while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
