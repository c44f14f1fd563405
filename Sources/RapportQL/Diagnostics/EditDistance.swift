/// Damerau–Levenshtein distance (optimal string alignment), for did-you-mean hints.
public enum EditDistance {
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased()), b = Array(b.lowercased())
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }

    /// The longest name a suggestion is looked for.
    public static let maxSuggestedLength = 64

    /// The candidate nearest to `name`, if it is within a third of the name's length
    /// (at least 1, at most 3 edits); ties go to the first in sorted order.
    /// Names longer than ``maxSuggestedLength`` get no suggestion, and candidates whose length
    /// differs by more than the limit are not compared: the cost stays small whatever the
    /// catalogue and the name.
    public static func closest(to name: String, among candidates: some Sequence<String>) -> String? {
        let length = name.count
        guard length <= maxSuggestedLength else { return nil }
        let limit = min(3, max(1, length / 3))
        var best: (String, Int)?
        for candidate in candidates where candidate != name {
            guard abs(candidate.utf8.count - name.utf8.count) <= 4 * limit, abs(candidate.count - length) <= limit else { continue }
            let d = distance(name, candidate)
            guard d <= limit else { continue }
            if best == nil || d < best!.1 || (d == best!.1 && candidate < best!.0) { best = (candidate, d) }
        }
        return best?.0
    }
}
