import Foundation
import RapportQL

/// What the REPL does with what was typed: a backslash command or an RQL statement.
public enum ReplInput: Equatable, Sendable {
    case command(String)
    case statement(String)
}

/// Gathers typed lines into inputs. A line starting with `\` is a command on its own. RQL
/// continues over lines until one ends with `;`, or until a blank line after a statement that
/// parses to its end (a blank line inside an unfinished statement, such as after `where` or
/// inside a string, keeps reading).
public struct StatementReader: Sendable {
    public private(set) var lines: [String] = []

    public init() {}

    /// Whether a statement is under way (the prompt shows a continuation).
    public var isContinuing: Bool { !lines.isEmpty }

    /// Drops the lines gathered so far (Ctrl-C at a continuation prompt).
    public mutating func reset() { lines = [] }

    /// Takes one line; returns an input when one is complete.
    public mutating func feed(_ line: String) -> ReplInput? {
        let trimmed = line.trimmingWhitespace()
        if lines.isEmpty {
            if trimmed.isEmpty { return nil }
            if trimmed.hasPrefix("\\") { return .command(trimmed) }
        }
        if trimmed.isEmpty {
            let text = lines.joined(separator: "\n")
            guard Self.isComplete(text) else { return nil }
            lines = []
            return .statement(text.trimmingWhitespace())
        }
        lines.append(line)
        let text = lines.joined(separator: "\n")
        if trimmed.hasSuffix(";"), Self.isComplete(text) {
            lines = []
            return .statement(text.trimmingWhitespace())
        }
        return nil
    }

    /// The rest when input ends (Ctrl-D or the end of piped input): what was gathered, if any.
    public mutating func finish() -> ReplInput? {
        defer { lines = [] }
        let text = lines.joined(separator: "\n").trimmingWhitespace()
        return text.isEmpty ? nil : .statement(text)
    }

    /// Whether `text` parses to its end: no problem at the end of the input (an unfinished
    /// clause, an open parenthesis, an unterminated string or name). Problems elsewhere are
    /// the server's to report, so such a statement is complete.
    public static func isComplete(_ text: String) -> Bool {
        let trimmed = text.trimmingWhitespace()
        let end = trimmed.utf8.count
        let (_, diagnostics) = RQL.parse(trimmed)
        return !diagnostics.contains { $0.range.start >= end || $0.code.hasPrefix("unterminated") }
    }
}

extension String {
    func trimmingWhitespace() -> String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
