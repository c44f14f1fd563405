import Foundation
import RapportQL

/// Fast ISO-8601 reading and PostgreSQL timestamptz writing, in microseconds since 1970 (UTC).
public enum Timestamp {
    /// Reads `2024-03-01`, `2024-03-01T10:00:00Z`, `2024-03-01T10:00:00.123+02:00`,
    /// `2024-03-01 10:00:00.123456+0200`. Nil if `text` is none of these, out of range, or a
    /// day the calendar does not have (`2023-02-29`, `2024-04-31`, a 60th second).
    public static func parse(_ text: String) -> Int64? {
        var utf8 = Array(text.utf8)
        while utf8.last == 0x20 { utf8.removeLast() }
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= utf8.count else { return nil }
            var v = 0
            for k in 0..<n {
                let b = utf8[i + k]
                guard b >= 48 && b <= 57 else { return nil }
                v = v * 10 + Int(b - 48)
            }
            i += n
            return v
        }
        func expect(_ c: Character) -> Bool {
            guard i < utf8.count, utf8[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect("-"), let month = digits(2), expect("-"), let day = digits(2),
              (1...9999).contains(year), CivilDate.isValid(year: year, month: month, day: day) else { return nil }
        var seconds = 0, micros = 0, offset = 0
        if i < utf8.count {
            guard utf8[i] == UInt8(ascii: "T") || utf8[i] == UInt8(ascii: "t") || utf8[i] == UInt8(ascii: " ") else { return nil }
            i += 1
            guard let h = digits(2), expect(":"), let m = digits(2), h < 24, m < 60 else { return nil }
            var s = 0
            if expect(":") {
                // No leap seconds: PostgreSQL would move 23:59:60 to the next day.
                guard let sec = digits(2), sec < 60 else { return nil }
                s = sec
                if expect(".") || expect(",") {
                    var scale = 100_000, any = false
                    while i < utf8.count, utf8[i] >= 48, utf8[i] <= 57 {
                        micros += Int(utf8[i] - 48) * scale
                        scale /= 10
                        i += 1
                        any = true
                    }
                    guard any else { return nil }
                }
            }
            seconds = h * 3600 + m * 60 + s
            if i < utf8.count {
                if expect("Z") || expect("z") {
                } else if utf8[i] == UInt8(ascii: "+") || utf8[i] == UInt8(ascii: "-") {
                    let sign = utf8[i] == UInt8(ascii: "-") ? -1 : 1
                    i += 1
                    guard let oh = digits(2), oh < 24 else { return nil }
                    _ = expect(":")
                    let om = digits(2) ?? 0
                    guard om < 60 else { return nil }
                    offset = sign * (oh * 3600 + om * 60)
                } else {
                    return nil
                }
            }
            guard i == utf8.count else { return nil }
        }
        let days = CivilDate.days(year: year, month: month, day: day)
        return (Int64(days) * 86_400 + Int64(seconds - offset)) * 1_000_000 + Int64(micros)
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff+00`, which PostgreSQL reads as timestamptz.
    public static func format(_ micros: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(29)
        write(micros, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends ``format(_:)``'s text to `out` without building a String.
    static func write(_ micros: Int64, to out: inout [UInt8]) {
        var seconds = micros / 1_000_000
        var fraction = micros % 1_000_000
        if fraction < 0 { fraction += 1_000_000; seconds -= 1 }
        var days = seconds / 86_400
        var rest = seconds % 86_400
        if rest < 0 { rest += 86_400; days -= 1 }
        let (y, m, d) = CivilDate.civil(days: Int(days))
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            var v = value
            while divisor > 0 {
                out.append(UInt8(48 + (v / divisor) % 10))
                v %= divisor
                divisor /= 10
            }
        }
        digits(y, 4); out.append(45); digits(m, 2); out.append(45); digits(d, 2); out.append(32)
        digits(Int(rest / 3600), 2); out.append(58); digits(Int(rest % 3600 / 60), 2); out.append(58); digits(Int(rest % 60), 2)
        out.append(46); digits(Int(fraction), 6)
        out.append(contentsOf: [43, 48, 48])
    }

    public static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }

    public static func date(_ micros: Int64) -> Date { Date(timeIntervalSince1970: Double(micros) / 1_000_000) }

    public static func micros(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }
}
