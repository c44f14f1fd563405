import Crypto
import Foundation
import Hummingbird

/// Authorises the operator API (`/admin/v1`) with the key given to `serve` as `RAPPORT_ADMIN_KEY`.
/// Without one configured, the operator API refuses every request.
struct AdminAuthMiddleware: RouterMiddleware {
    typealias Context = RapportRequestContext
    /// SHA-256 of the operator key, or nil when the operator API is off.
    let keyHash: Data?

    init(adminKey: String?) {
        keyHash = adminKey.flatMap { $0.isEmpty ? nil : Data(SHA256.hash(data: Data($0.utf8))) }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard keyHash != nil else {
            throw APIError(.forbidden, code: "admin-api-disabled",
                           message: "The operator API is off: start the server with RAPPORT_ADMIN_KEY set to turn it on.")
        }
        try authorize(request)
        var context = context
        context.logger[metadataKey: "actor"] = "operator"
        return try await next(request, context)
    }

    /// Throws 401 unless `request` carries the operator key (nothing to check when none is set).
    func authorize(_ request: Request) throws {
        guard let keyHash else { return }
        guard let presented = KeyAuthMiddleware.credential(from: request) else { throw APIError.unauthenticated }
        // Comparing hashes keeps the comparison's time independent of the key.
        guard Data(SHA256.hash(data: Data(presented.utf8))) == keyHash else {
            throw APIError(.unauthorized, code: "invalid-key", message: "The operator key is not valid.",
                           headers: [.wwwAuthenticate: "Bearer realm=\"rapport-admin\""])
        }
    }
}
