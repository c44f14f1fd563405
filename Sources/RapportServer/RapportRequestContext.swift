import Foundation
import Hummingbird
import RapportStore

/// The per-request context: Hummingbird's core storage plus the key that authenticated the request.
public struct RapportRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``KeyAuthMiddleware`` on tenant routes.
    public var key: AuthenticatedKey?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }

    /// Every route's JSON body goes through the strict reader (``StrictJSONDecoder``).
    public var requestDecoder: some RequestDecoder { StrictJSONDecoder() }

    /// Every JSON answer is written the same way (``JSONAnswer``).
    public var responseEncoder: JSONAnswer { JSONAnswer() }

    /// The authenticated key, which must hold `scope`.
    /// - Throws: 401 if no key authenticated the request, 403 if it lacks the scope.
    public func require(_ scope: Scope) throws -> AuthenticatedKey {
        guard let key else { throw APIError.unauthenticated }
        guard key.scopes.contains(scope) else { throw APIError.missingScope(scope) }
        return key
    }
}
