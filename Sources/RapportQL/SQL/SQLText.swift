/// SQL written for a level, with holes for what the level's plan decides only once all of it
/// is written: where each event aggregate is read (a column of the events pass, or in place
/// over the events or the summaries) and the ranked value fields (`tier`, `rfm`: a column of
/// the ranking join). Expressions are written once, into this; the plan reads which holes
/// a piece has (a condition with an aggregate goes to HAVING) and prints it once.
struct SQLText: Equatable, ExpressibleByStringInterpolation {
    enum Part: Equatable {
        case sql(String)
        /// The level's aggregate of this index (`SQLWriter.aggregates`).
        case aggregate(Int)
        /// `tier` or `rfm` under these settings.
        case ranked(ValueField, ValueSettings)
    }

    private(set) var parts: [Part] = []

    init(stringLiteral value: String) { append(.sql(value)) }

    init(stringInterpolation: Interpolation) { parts = stringInterpolation.text.parts }

    init(_ part: Part) { append(part) }

    struct Interpolation: StringInterpolationProtocol {
        var text = SQLText(parts: [])

        init(literalCapacity: Int, interpolationCount: Int) {}

        mutating func appendLiteral(_ literal: String) { text.append(.sql(literal)) }
        mutating func appendInterpolation(_ piece: SQLText) { text.append(piece) }
        mutating func appendInterpolation(_ sql: String) { text.append(.sql(sql)) }
        mutating func appendInterpolation(_ number: Int) { text.append(.sql(String(number))) }
    }

    private init(parts: [Part]) { self.parts = parts }

    mutating func append(_ part: Part) {
        if case .sql(let more) = part {
            guard !more.isEmpty else { return }
            if case .sql(let last)? = parts.last {
                parts[parts.count - 1] = .sql(last + more)
                return
            }
        }
        parts.append(part)
    }

    mutating func append(_ piece: SQLText) { for part in piece.parts { append(part) } }

    static func + (left: SQLText, right: SQLText) -> SQLText {
        var sum = left
        sum.append(right)
        return sum
    }

    /// Whether it reads an event aggregate of the level.
    var readsAggregate: Bool { parts.contains { if case .aggregate = $0 { true } else { false } } }

    /// The ranked fields it reads, with their settings.
    var ranked: [(field: ValueField, settings: ValueSettings)] {
        parts.compactMap { if case .ranked(let field, let settings) = $0 { (field, settings) } else { nil } }
    }

    /// The text, each hole filled by `fill`.
    func printed(_ fill: (Part) -> String) -> String {
        parts.map { if case .sql(let sql) = $0 { sql } else { fill($0) } }.joined()
    }

    /// The text of a piece with no holes (written where no level's aggregates are read: an
    /// event's context, a funnel's steps).
    var plain: String {
        printed { part in
            assertionFailure("a hole (\(part)) where none can be")
            // Built for release: a type that does not exist, so the statement fails as a whole
            // rather than answer with a hole read as null.
            return "NULL::unfilled_hole"
        }
    }
}

extension SQLText: CustomStringConvertible {
    /// Never meant to be read: a `String` interpolating a piece would lose its holes (the
    /// tests, built for debugging, stop here).
    var description: String {
        assertionFailure("SQLText read as a String")
        return plain
    }
}

extension Array where Element == SQLText {
    func joined(separator: String) -> SQLText {
        var text: SQLText = ""
        for (index, piece) in enumerated() {
            if index > 0 { text.append(.sql(separator)) }
            text.append(piece)
        }
        return text
    }
}
