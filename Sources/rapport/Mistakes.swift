import ArgumentParser
import Foundation
import RapportQL

/// What went wrong on a command line ArgumentParser refused, when its own message would be
/// about something else: `rapport qurey …` (it complains of `--tenant`, an option the root
/// does not have) or `rapport query --tnant demo` (it complains that `--tenant` is missing).
/// Reads the words the way ArgumentParser does, names the first unknown command or option,
/// and suggests the nearest one.
enum Mistakes {
    /// The message for `arguments` (without the program's name), or nil when no unknown
    /// command or option is found (ArgumentParser's own message then stands).
    static func explain(_ arguments: [String]) -> String? {
        var command: any ParsableCommand.Type = Rapport.self
        var path = ["rapport"]
        var index = 0
        // The subcommands, as far as the words name them.
        while index < arguments.count, !arguments[index].hasPrefix("-") {
            let subcommands = Self.subcommands(of: command)
            if subcommands.isEmpty { break }
            let word = arguments[index]
            guard let next = subcommands.first(where: { name(of: $0) == word }) else {
                let names = subcommands.map { name(of: $0) }
                let hint = EditDistance.closest(to: word, among: names).map { " (did you mean '\($0)'?)" } ?? ""
                return "unknown command '\(word)' for '\(path.joined(separator: " "))'\(hint); it has: \(names.joined(separator: ", "))."
                    + " See '\(path.joined(separator: " ")) --help'."
            }
            command = next
            path.append(word)
            index += 1
        }
        // The options the command has, read off its help (which lists every one).
        let help = Self.help(of: command)
        let known = Set(["--help", "-h", "--version", "--generate-completion-script", "--experimental-dump-help"]
                        + matches(of: #"(?<![\w-])--?[a-zA-Z][a-zA-Z0-9-]*"#, in: help))
        // Options that take a value (`--tenant <tenant>`, `-c <c>`): the word after one is its
        // value, whatever it looks like (an RQL comment starts with `--`).
        let takesValue = Set(matches(of: #"(?<![\w-])--?[a-zA-Z][a-zA-Z0-9-]* <"#, in: help).map { String($0.dropLast(2)) })
        var words = arguments[index...].makeIterator()
        while let word = words.next() {
            if word == "--" { break }
            if takesValue.contains(word) {
                _ = words.next()
                continue
            }
            guard word.range(of: #"^(--[a-zA-Z][a-zA-Z0-9-]*(=.*)?|-[a-zA-Z])$"#, options: .regularExpression) != nil else { continue }
            let name = String(word.prefix { $0 != "=" })
            if known.contains(name) { continue }
            let hint = EditDistance.closest(to: name, among: known).map { " (did you mean '\($0)'?)" } ?? ""
            return "unknown option '\(name)' for '\(path.joined(separator: " "))'\(hint). See '\(path.joined(separator: " ")) --help'."
        }
        return nil
    }

    // Generic, so the existential is opened once (SILGen in Swift 6.3.1 crashes on static
    // members of an `any ParsableCommand.Type` called in place).
    private static func subcommands<C: ParsableCommand>(of command: C.Type) -> [any ParsableCommand.Type] {
        C.configuration.subcommands
    }

    private static func name<C: ParsableCommand>(of command: C.Type) -> String { C._commandName }

    private static func help<C: ParsableCommand>(of command: C.Type) -> String {
        C.helpMessage(includeHidden: true, columns: 1000)
    }

    private static func matches(of pattern: String, in text: String) -> [String] {
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return [] }
        let range = NSRange(text.startIndex..., in: text)
        return expression.matches(in: text, range: range).compactMap { Range($0.range, in: text).map { String(text[$0]) } }
    }
}
