import Foundation
import RapportQL
import RapportStore

/// A diagnostic as the query API returns it: offsets (UTF-8) and 1-based lines and columns.
public struct DiagnosticBody: Encodable, Sendable {
    var severity: String
    var code: String
    var message: String
    var hint: String?
    var start: Int
    var end: Int
    var line: Int
    var column: Int
    var endLine: Int
    var endColumn: Int
    /// The diagnostic as the REPL shows it, with the line and a caret.
    var rendered: String

    init(_ diagnostic: Diagnostic, in source: SourceText) {
        severity = diagnostic.severity.rawValue
        code = diagnostic.code
        message = diagnostic.message
        hint = diagnostic.hint
        start = diagnostic.range.start
        end = diagnostic.range.end
        (line, column) = source.location(of: diagnostic.range.start)
        (endLine, endColumn) = source.location(of: diagnostic.range.end)
        rendered = DiagnosticRenderer.render(diagnostic, in: source)
    }

    enum CodingKeys: String, CodingKey {
        case severity, code, message, hint, start, end, line, column, rendered
        case endLine = "end_line"
        case endColumn = "end_column"
    }

    static func list(_ diagnostics: [Diagnostic], source: String) -> [DiagnosticBody] {
        let text = SourceText(source)
        return diagnostics.map { DiagnosticBody($0, in: text) }
    }
}

extension APIError {
    init(queryError: QueryError) {
        switch queryError {
        case .diagnostics(let diagnostics, let source):
            let errors = diagnostics.filter { $0.severity == .error }.count
            self = APIError(.badRequest, code: "invalid-query",
                            message: "The query has \(errors) problem\(errors == 1 ? "" : "s"); nothing ran.")
            self.diagnostics = DiagnosticBody.list(diagnostics, source: source)
        case .timeout:
            self = APIError(.unprocessableContent, code: "query-timeout", message: queryError.description)
        case .outOfRange:
            self = APIError(.unprocessableContent, code: "query-out-of-range", message: queryError.description)
        case .inUse:
            self = APIError(.conflict, code: "definition-in-use", message: queryError.description)
        case .cancelled:
            self = APIError(.conflict, code: "query-cancelled", message: queryError.description)
        case .tooManyDefinitions:
            self = APIError(.unprocessableContent, code: "too-many-definitions", message: queryError.description)
        case .databaseBusy:
            self = APIError(.serviceUnavailable, code: "database-busy", message: queryError.description, headers: [.retryAfter: "5"])
        case .idInUse:
            self = APIError(.conflict, code: "query-id-in-use", message: queryError.description)
        case .tooComplex:
            self = APIError(.unprocessableContent, code: "query-too-complex", message: queryError.description)
        }
    }
}
