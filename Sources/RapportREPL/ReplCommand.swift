import RapportQL

/// A backslash command, as typed at the prompt.
public enum ReplCommand: Equatable, Sendable {
    case quit
    case help(String?)
    /// `\d` lists traits, events, segments, metrics, funnels and syncs; `\d NAME` describes one.
    case describe(String?)
    case explain(String)
    /// `\profile ID` or `\profile kind:value`.
    case profile(String)
    case format(OutputFormat?)
    /// `\o FILE` writes results to the file; `\o` alone writes to the screen again.
    case output(String?)
    case timing
    /// `\x` switches expanded display on or off; `\x on|off|auto` sets it.
    case expanded(Expanded?)

    /// Parses a line starting with `\`; a problem is a message naming it.
    public static func parse(_ line: String) -> Result<ReplCommand, ReplProblem> {
        let text = line.trimmingWhitespace()
        let name: Substring, argument: String?
        if let space = text.firstIndex(where: \.isWhitespace) {
            name = text[..<space]
            let rest = String(text[space...]).trimmingWhitespace()
            argument = rest.isEmpty ? nil : rest
        } else {
            (name, argument) = (Substring(text), nil)
        }
        switch name {
        case "\\q", "\\quit": return .success(.quit)
        case "\\h", "\\help", "\\?": return .success(.help(argument))
        case "\\d": return .success(.describe(argument))
        case "\\explain":
            guard let argument else { return .failure(ReplProblem("\\explain needs a query: \\explain profiles | where plan = \"pro\"")) }
            return .success(.explain(argument))
        case "\\profile":
            guard let argument else { return .failure(ReplProblem("\\profile needs a profile id or an identity: \\profile 42, \\profile email:ada@example.com")) }
            return .success(.profile(argument))
        case "\\format":
            guard let argument else { return .success(.format(nil)) }
            guard let format = OutputFormat(rawValue: argument) else {
                return .failure(ReplProblem("unknown format `\(argument)`: use table, json, csv or ndjson"))
            }
            return .success(.format(format))
        case "\\o": return .success(.output(argument))
        case "\\timing": return .success(.timing)
        case "\\x":
            guard let argument else { return .success(.expanded(nil)) }
            guard let setting = Expanded(rawValue: argument) else {
                return .failure(ReplProblem("\\x takes on, off or auto (or nothing, to switch it on or off)"))
            }
            return .success(.expanded(setting))
        default:
            let known = ["\\q", "\\help", "\\d", "\\explain", "\\profile", "\\format", "\\o", "\\timing", "\\x"]
            var message = "unknown command `\(name)`"
            if let suggestion = EditDistance.closest(to: String(name), among: known) { message += " (did you mean `\(suggestion)`?)" }
            return .failure(ReplProblem(message + "; \\help lists the commands"))
        }
    }
}

/// Expanded display (`\x`).
public enum Expanded: String, Sendable {
    case on, off, auto
}

/// How results are printed.
public enum OutputFormat: String, Sendable, CaseIterable {
    case table, json, csv, ndjson
}

/// A problem the REPL reports itself (not the server's diagnostics).
public struct ReplProblem: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "error: " + message }
}
