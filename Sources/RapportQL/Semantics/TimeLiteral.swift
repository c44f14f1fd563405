/// Dates and timestamps as RQL writes them, validated and turned into UTC instants
/// without Foundation's calendar (so that the result never depends on the machine).
enum TimeLiteral {
    /// `2024-03-01` as `2024-03-01T00:00:00Z`, or nil if it is not a real date.
    static func date(_ text: String) -> String? {
        guard let (y, m, d) = civil(text) else { return nil }
        return format(days: CivilDate.days(year: y, month: m, day: d), seconds: 0, fraction: "")
    }

    /// `2024-03-01T10:00:00+02:00` as `2024-03-01T08:00:00Z`, or nil if it is not valid.
    static func timestamp(_ text: String) -> String? {
        let chars = Array(text)
        guard chars.count >= 13, let (y, m, d) = civil(String(chars[0..<10])), chars[10] == "T" else { return nil }
        var i = 11
        func number(_ count: Int) -> Int? {
            guard i + count <= chars.count, chars[i..<i + count].allSatisfy(\.isASCII), chars[i..<i + count].allSatisfy(\.isNumber) else { return nil }
            defer { i += count }
            return Int(String(chars[i..<i + count]))
        }
        guard let hour = number(2), hour < 24 else { return nil }
        var minute = 0, second = 0
        var fraction = ""
        if i < chars.count, chars[i] == ":" {
            i += 1
            guard let value = number(2), value < 60 else { return nil }
            minute = value
            if i < chars.count, chars[i] == ":" {
                i += 1
                guard let value = number(2), value < 60 else { return nil }
                second = value
                if i < chars.count, chars[i] == "." {
                    i += 1
                    let start = i
                    while i < chars.count, chars[i].isASCII, chars[i].isNumber { i += 1 }
                    guard i > start, i - start <= 6 else { return nil }
                    fraction = String(chars[start..<i])
                }
            }
        }
        var offset = 0
        if i < chars.count {
            if chars[i] == "Z" {
                i += 1
            } else if chars[i] == "+" || chars[i] == "-" {
                let sign = chars[i] == "+" ? 1 : -1
                i += 1
                guard let oh = number(2), oh < 24, i < chars.count, chars[i] == ":" else { return nil }
                i += 1
                guard let om = number(2), om < 60 else { return nil }
                offset = sign * (oh * 3600 + om * 60)
            } else {
                return nil
            }
        }
        guard i == chars.count else { return nil }
        var total = hour * 3600 + minute * 60 + second - offset
        var dayNumber = CivilDate.days(year: y, month: m, day: d)
        while total < 0 { total += 86_400; dayNumber -= 1 }
        while total >= 86_400 { total -= 86_400; dayNumber += 1 }
        guard dayNumber >= CivilDate.days(year: 1, month: 1, day: 1) else { return nil }
        return format(days: dayNumber, seconds: total, fraction: fraction)
    }

    static func civil(_ text: String) -> (Int, Int, Int)? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m), d >= 1 else { return nil }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let length = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
        return d <= length && y >= 1 ? (y, m, d) : nil
    }

    static func format(days: Int, seconds: Int, fraction: String) -> String {
        let (y, m, d) = CivilDate.civil(days: days)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let year = String(y)
        var text = "\(String(repeating: "0", count: max(0, 4 - year.count)) + year)-\(two(m))-\(two(d))T\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
        if !fraction.isEmpty { text += "." + fraction }
        return text + "Z"
    }
}
