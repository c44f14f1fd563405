/// The regular expressions `matches` takes: the part of PostgreSQL's syntax whose meaning
/// is the same in every regex dialect an analyst knows, checked here so that PostgreSQL
/// never refuses one at run time. Branches `|`, groups `( )` and `(?: )`, `.`, `^`, `$`,
/// bracket expressions with ranges and `[:alpha:]`-style classes, `\d \D \s \S \w \W`,
/// escaped punctuation, and the quantifiers `* + ?` and `{n}`, `{n,}`, `{n,m}` (at most
/// 255, not nested inside another counted one), each optionally lazy (`*?`).
enum RegexSubset {
    static func accepts(_ pattern: String) -> Bool {
        var parser = Walker(chars: Array(pattern))
        guard let counted = parser.alternation(depth: 0) else { return false }
        _ = counted
        return parser.index == parser.chars.count
    }

    struct Walker {
        let chars: [Character]
        var index = 0

        var atEnd: Bool { index >= chars.count }
        var current: Character? { atEnd ? nil : chars[index] }

        /// Parses branches up to `)` or the end; returns whether a counted quantifier occurs
        /// inside, or nil if the pattern is not in the subset.
        mutating func alternation(depth: Int) -> Bool? {
            guard depth < 20 else { return nil }
            var counted = false
            while true {
                guard let branchCounted = branch(depth: depth) else { return nil }
                counted = counted || branchCounted
                guard current == "|" else { return counted }
                index += 1
            }
        }

        mutating func branch(depth: Int) -> Bool? {
            var counted = false
            while let c = current, c != "|", c != ")" {
                var atomCounted = false
                var quantifiable = true
                switch c {
                case "(":
                    index += 1
                    if current == "?" {
                        guard index + 1 < chars.count, chars[index + 1] == ":" else { return nil }
                        index += 2
                    }
                    guard let inner = alternation(depth: depth + 1), current == ")" else { return nil }
                    index += 1
                    atomCounted = inner
                case "[":
                    guard bracket() else { return nil }
                case "\\":
                    guard escape() else { return nil }
                case "^", "$":
                    index += 1
                    quantifiable = false
                case "*", "+", "?", "{", "}", "]":
                    return nil
                default:
                    index += 1
                }
                guard let (isCounted, present) = quantifier() else { return nil }
                if present {
                    guard quantifiable else { return nil }
                    if isCounted && atomCounted { return nil }
                    atomCounted = atomCounted || isCounted
                }
                counted = counted || atomCounted
            }
            return counted
        }

        /// An optional quantifier: (whether it is counted, whether there was one), nil if bad.
        mutating func quantifier() -> (Bool, Bool)? {
            guard let c = current else { return (false, false) }
            var counted = false
            switch c {
            case "*", "+", "?":
                index += 1
            case "{":
                index += 1
                guard let low = number() else { return nil }
                var high = low
                if current == "," {
                    index += 1
                    if current == "}" { high = 255 } else {
                        guard let value = number() else { return nil }
                        high = value
                    }
                }
                guard current == "}", low <= high, high <= 255 else { return nil }
                index += 1
                counted = true
            default:
                return (false, false)
            }
            if current == "?" { index += 1 }
            // A quantifier on a quantifier (`a*+`, `a**`) is not in the subset.
            if let next = current, "*+?{".contains(next) { return nil }
            return (counted, true)
        }

        mutating func number() -> Int? {
            let start = index
            while let c = current, c.isASCII, c.isNumber, index - start < 4 { index += 1 }
            guard index > start else { return nil }
            return Int(String(chars[start..<index]))
        }

        mutating func escape() -> Bool {
            index += 1
            guard let c = current else { return false }
            index += 1
            return "dDsSwW".contains(c) || ".*+?()[]{}|^$\\/-".contains(c)
        }

        mutating func bracket() -> Bool {
            index += 1
            if current == "^" { index += 1 }
            var first = true
            while let c = current {
                if c == "]" && !first {
                    index += 1
                    return true
                }
                first = false
                if c == "[" {
                    // Only `[:class:]` inside a bracket.
                    guard index + 1 < chars.count, chars[index + 1] == ":" else { return false }
                    let classes = ["alpha", "digit", "alnum", "upper", "lower", "space", "punct", "xdigit", "blank", "cntrl", "print", "graph"]
                    guard let match = classes.first(where: { name in
                        let token = Array("[:\(name):]")
                        return index + token.count <= chars.count && Array(chars[index..<index + token.count]) == token
                    }) else { return false }
                    index += match.count + 4
                    continue
                }
                if c == "\\" {
                    index += 1
                    guard let e = current, "dDsSwW\\]-[^".contains(e) else { return false }
                    index += 1
                    continue
                }
                index += 1
                // A range a-z: both ends plain characters in order.
                if current == "-", index + 1 < chars.count, chars[index + 1] != "]" {
                    let end = chars[index + 1]
                    guard end != "[", end != "\\", c <= end else { return false }
                    index += 2
                }
            }
            return false
        }
    }
}
