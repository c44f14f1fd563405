import Foundation
import HTTPTypes
import Hummingbird
import RapportStore

/// Authenticates tenant routes with an API key, sent as `Authorization: Bearer KEY` or as
/// HTTP Basic with the key as user name (how Segment's and RudderStack's libraries send a
/// write key). A missing, unknown or revoked key is a 401; scopes are checked by each route.
///
/// Without an `Authorization` header, the web console's session cookie stands for the key
/// that signed in; a request that is not a GET must then carry the session's CSRF token in
/// `X-CSRF-Token`, or it is refused (403).
struct KeyAuthMiddleware: RouterMiddleware {
    typealias Context = RapportRequestContext
    let store: Store

    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let key: AuthenticatedKey
        if let presented = Self.credential(from: request) {
            guard let found = try await store.authenticate(key: presented) else { throw APIError.invalidKey }
            key = found
        } else if let token = request.cookies[ConsoleController.sessionCookie]?.value, !token.isEmpty {
            guard let session = try await store.consoleSession(token: token) else {
                throw APIError(.unauthorized, code: "session-ended", message: "The console session has ended (signed out or expired): sign in again.")
            }
            if request.method != .get && request.method != .head {
                guard let sent = request.headers[Self.csrfHeader], ConsoleController.same(sent, session.csrf) else {
                    throw APIError(.forbidden, code: "csrf-token-missing",
                                   message: "A request from the console must carry its session's CSRF token in X-CSRF-Token; nothing was done.")
                }
            }
            key = session.key
        } else {
            throw APIError.unauthenticated
        }
        var context = context
        context.key = key
        context.logger[metadataKey: "tenant"] = .string(key.tenant.slug)
        return try await next(request, context)
    }

    /// The key in the `Authorization` header, if any.
    static func credential(from request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let value = parts[1].trimmingCharacters(in: .whitespaces)
        switch parts[0].lowercased() {
        case "bearer":
            return value.isEmpty ? nil : value
        case "basic":
            guard let data = Data(base64Encoded: value), let text = String(data: data, encoding: .utf8) else { return nil }
            let pair = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let user = pair.first.map(String.init) ?? ""
            let password = pair.count > 1 ? String(pair[1]) : ""
            let key = user.isEmpty ? password : user
            return key.isEmpty ? nil : key
        default:
            return nil
        }
    }
}
