import HTTPTypes
import Hummingbird
import Logging

/// Turns every error into the shared JSON shape and adds `X-Request-Id` to every response,
/// so a user can quote the id that every log line of the request carries.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = RapportRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            let apiError = APIError(from: error, requestID: context.id)
            if apiError.status.code >= 500 {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            } else {
                context.logger.debug("request refused", metadata: ["code": "\(apiError.code)"])
            }
            response = apiError.response()
        }
        response.headers[.requestID] = context.id
        return response
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
}
