import Foundation

/// HTML that is safe by construction: a literal is taken as written, and everything
/// interpolated into it is escaped as text unless it is `Markup` itself. A page is built only
/// from these, so a trait, an event property or an identifier from a tenant's data can never
/// become a tag, an attribute or a script (issue 19, "Safety").
///
///     let name = "<img src=x onerror=alert(1)>"
///     let cell: Markup = "<td>\(name)</td>"   // <td>&lt;img src=x onerror=alert(1)&gt;</td>
///
/// Attribute values must be written in double quotes; `"` and `'` are escaped too.
public struct Markup: Sendable, Equatable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public private(set) var html: String

    public init(stringLiteral value: String) { html = value }
    public init(stringInterpolation: Interpolation) { html = stringInterpolation.html }
    private init(trusted html: String) { self.html = html }

    public var description: String { html }
    public static let empty = Markup(stringLiteral: "")

    /// Markup in a row, with nothing between.
    public static func join(_ parts: some Sequence<Markup>, separator: Markup = .empty) -> Markup {
        Markup(trusted: parts.map(\.html).joined(separator: separator.html))
    }

    /// `text` escaped for an element's content or a double-quoted attribute value.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            // Control characters other than tab and newline are not text HTML can hold.
            case "\u{0}"..."\u{8}", "\u{B}", "\u{C}", "\u{E}"..."\u{1F}", "\u{7F}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `value` percent-encoded for a URL's query or path segment (then escaped as any text).
    public static func urlComponent(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    public struct Interpolation: StringInterpolationProtocol {
        var html = ""
        public init(literalCapacity: Int, interpolationCount: Int) { html.reserveCapacity(literalCapacity + 16 * interpolationCount) }
        public mutating func appendLiteral(_ literal: String) { html += literal }
        /// Text: escaped.
        public mutating func appendInterpolation(_ text: String) { html += Markup.escape(text) }
        public mutating func appendInterpolation(_ text: Substring) { html += Markup.escape(String(text)) }
        public mutating func appendInterpolation(_ number: some BinaryInteger) { html += String(number) }
        /// Markup: as it is.
        public mutating func appendInterpolation(_ markup: Markup) { html += markup.html }
        public mutating func appendInterpolation(_ parts: [Markup]) { for part in parts { html += part.html } }
        /// A value for a URL's query or path: percent-encoded, then escaped.
        public mutating func appendInterpolation(url value: String) { html += Markup.escape(Markup.urlComponent(value)) }
    }
}
