import Foundation
import Hummingbird
import RapportQL
import RapportStore

/// GDPR requests under `/v1/privacy` (scope `privacy` on every route): file, follow, cancel,
/// download an export, read the audit log, state the Art. 15 information.
struct PrivacyController {
    let store: Store
    /// Wakes the worker when a request is filed (nil when no worker runs in this process).
    let worker: PrivacyWorker?

    struct RequestList: ResponseEncodable {
        var requests: [PrivacyRequest]
    }

    struct AuditList: ResponseEncodable {
        var entries: [AuditEntry]
    }

    func addRoutes(to group: RouterGroup<RapportRequestContext>) {
        group.post("privacy/requests") { request, context in
            let key = try context.require(.privacy)
            let (type, subject) = try Self.parseRequest(ByteBuffer(bytes: try await StrictJSONDecoder.body(of: request, limit: 64 * 1024)))
            let filed = try await store.fileRequest(type, subject: subject, tenant: key.tenant, actor: "key:" + key.id)
            worker?.wake()
            return EditedResponse(status: .accepted, headers: [.location: "/v1/privacy/requests/\(filed.id)"], response: filed)
        }
        group.get("privacy/requests") { request, context in
            let key = try context.require(.privacy)
            let query = request.uri.queryParameters
            var status: PrivacyRequest.Status?
            if let text = query["status"] {
                guard let parsed = PrivacyRequest.Status(rawValue: String(text)) else {
                    throw APIError(.badRequest, code: "invalid-request", message: "`status` is one of \(PrivacyRequest.Status.allCases.map(\.rawValue).joined(separator: ", ")).")
                }
                status = parsed
            }
            let limit = try Self.number(query["limit"], name: "limit", in: 1...1000) ?? 100
            return RequestList(requests: try await store.privacyRequests(tenant: key.tenant, status: status, limit: limit))
        }
        group.get("privacy/requests/{id}") { _, context in
            let key = try context.require(.privacy)
            return try await store.privacyRequest(try context.parameters.require("id"), tenant: key.tenant)
        }
        group.post("privacy/requests/{id}/cancel") { _, context in
            let key = try context.require(.privacy)
            return try await store.cancelRequest(try context.parameters.require("id"), tenant: key.tenant, actor: "key:" + key.id)
        }
        group.get("privacy/requests/{id}/export") { _, context in
            let key = try context.require(.privacy)
            let id = try context.parameters.require("id")
            // Fail before the 200 if there is nothing to send.
            _ = try await store.exportChunks(id, tenant: key.tenant)  // downloadExport checks again as it starts
            let store = self.store
            return Response(
                status: .ok,
                headers: [.contentType: "application/json", .contentDisposition: "attachment; filename=\"\(id).json\""],
                body: ResponseBody { writer in
                    try await store.downloadExport(id, tenant: key.tenant, actor: "key:" + key.id) { try await writer.write($0) }
                    try await writer.finish(nil)
                })
        }
        group.get("privacy/audit") { request, context in
            let key = try context.require(.privacy)
            let query = request.uri.queryParameters
            let after = try Self.number(query["after"], name: "after", in: 0...Int.max) ?? 0
            let limit = try Self.number(query["limit"], name: "limit", in: 1...10_000) ?? 1000
            return AuditList(entries: try await store.privacyAudit(tenant: key.tenant, after: Int64(after), limit: limit))
        }
        group.get("privacy/settings") { _, context in
            let key = try context.require(.privacy)
            let settings = try await store.privacySettings(tenant: key.tenant)
            let text = settings.jsonText.hasSuffix("\n") ? settings.jsonText : settings.jsonText + "\n"
            return JSONAnswer.response(Data(text.utf8))
        }
        group.put("privacy/settings") { request, context in
            let key = try context.require(.privacy)
            let body = try await StrictJSONDecoder.body(of: request, limit: 64 * 1024)
            let settings = try StrictJSONDecoder.parse(body)
            try await store.setPrivacySettings(settings, tenant: key.tenant, actor: "key:" + key.id)
            return Response(status: .noContent)
        }
    }

    static func number(_ text: Substring?, name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text else { return nil }
        guard let n = Int(text), range.contains(n) else {
            throw APIError(.badRequest, code: "invalid-request",
                           message: "`\(name)` must be a whole number from \(NumberText.grouped(range.lowerBound)) to \(NumberText.grouped(range.upperBound)).")
        }
        return n
    }

    /// `{"type": "erasure", "subject": {"email": "ann@example.com"}}`.
    static func parseRequest(_ body: ByteBuffer) throws -> (PrivacyRequest.Kind, PrivacySubject) {
        func invalid(_ message: String) -> APIError { APIError(.badRequest, code: "invalid-request", message: message) }
        guard case .object(let object) = try StrictJSONDecoder.parse(Array(buffer: body)) else {
            throw invalid(#"The body must be a JSON object such as {"type": "erasure", "subject": {"email": "ann@example.com"}}."#)
        }
        let types = PrivacyRequest.Kind.allCases.map(\.rawValue).joined(separator: ", ")
        guard let text = object["type"]?.stringValue else { throw invalid("`type` is missing: it is one of \(types).") }
        guard let type = PrivacyRequest.Kind(rawValue: text) else { throw invalid("`\(text)` is not a request type: it is one of \(types).") }
        if let extra = object.keys.sorted().first(where: { $0 != "type" && $0 != "subject" }) {
            throw invalid("`\(extra)` is not a field of a privacy request; give `type` and `subject`.")
        }
        guard case .object(let subject)? = object["subject"], subject.count == 1, let (kind, value) = subject.first else {
            throw invalid(#"`subject` must name exactly one identifier, such as {"email": "ann@example.com"}."#)
        }
        switch value {
        case .string(let text): return (type, PrivacySubject(kind: kind, value: text))
        case .number(let digits): return (type, PrivacySubject(kind: kind, value: digits))
        default: throw invalid("The subject's `\(kind)` must be a text.")
        }
    }
}

extension PrivacyRequest: ResponseEncodable {}

extension APIError {
    init(privacyError: PrivacyError) {
        switch privacyError {
        case .requestNotFound: self = APIError(.notFound, code: "request-not-found", message: privacyError.description)
        case .notCancellable: self = APIError(.conflict, code: "request-not-cancellable", message: privacyError.description)
        case .exportUnavailable: self = APIError(.conflict, code: "export-unavailable", message: privacyError.description)
        case .tooManyOpen: self = APIError(.tooManyRequests, code: "too-many-open-requests", message: privacyError.description,
                                           headers: [.retryAfter: "60"])
        }
    }
}
