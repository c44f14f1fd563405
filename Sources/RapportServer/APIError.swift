import Foundation
import HTTPTypes
import Hummingbird
import RapportStore

/// An error as every route answers it: `{"error": {"code": …, "message": …}}`.
/// `code` is a stable kebab-case name; `message` a sentence with no SQL or personal data.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var headers: HTTPFields = [:]
    /// The position of the offending message in a batch.
    public var index: Int?
    /// A query's problems, each with its position.
    public var diagnostics: [DiagnosticBody]?

    public init(_ status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:], index: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.index = index
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    static let unauthenticated = APIError(
        .unauthorized, code: "unauthenticated",
        message: "This request needs an API key: send it as a bearer token or as the HTTP Basic user name.",
        headers: [.wwwAuthenticate: "Basic realm=\"rapport\""])
    static let invalidKey = APIError(
        .unauthorized, code: "invalid-key", message: "The API key is not valid: it is unknown or has been revoked.",
        headers: [.wwwAuthenticate: "Basic realm=\"rapport\""])
    static func missingScope(_ scope: Scope) -> APIError {
        APIError(.forbidden, code: "missing-scope", message: "This API key does not have the `\(scope.rawValue)` scope this request needs.")
    }

    /// The JSON body.
    struct Body: Encodable {
        struct Inner: Encodable {
            var code: String
            var message: String
            var index: Int?
            var diagnostics: [DiagnosticBody]?
        }
        var error: Inner
    }
}

extension APIError {
    /// Maps any error thrown while answering to the shared shape.
    init(from error: any Error, requestID: String) {
        switch error {
        case let error as APIError:
            self = error
        case let error as StoreError:
            self = APIError(storeError: error)
        case let error as MessageError:
            self = APIError(.badRequest, code: "invalid-message", message: Self.sentence(error.description), index: error.index)
        case let error as QueryError:
            self = APIError(queryError: error)
        case let error as PrivacyError:
            self = APIError(privacyError: error)
        case let error as SyncError:
            self = APIError(syncError: error)
        case is IngestOverloaded:
            self = APIError(.serviceUnavailable, code: "overloaded", message: "\(error)", headers: [.retryAfter: "1"])
        case let error as HTTPError:
            let code: String
            switch error.status {
            case .notFound: code = "not-found"
            case .methodNotAllowed: code = "method-not-allowed"
            case .contentTooLarge: code = "payload-too-large"
            case .unsupportedMediaType: code = "unsupported-media-type"
            case .badRequest: code = "bad-request"
            default: code = error.status.code < 500 ? "bad-request" : "internal"
            }
            let message = error.body ?? (error.status == .notFound ? "There is nothing at this path." : error.status.reasonPhrase + ".")
            self = APIError(error.status, code: code, message: message)
        default:
            self = APIError(.internalServerError, code: "internal",
                            message: "Rapport could not answer this request (request id \(requestID)); the server log has the details.")
        }
    }

    init(storeError: StoreError) {
        let message = storeError.description
        switch storeError {
        case .invalidTenantSlug, .invalidScopes, .invalidInput, .invalidConfiguration:
            self = APIError(.badRequest, code: "invalid-request", message: message)
        case .tenantExists, .roleExists:
            self = APIError(.conflict, code: "tenant-exists", message: message)
        case .tenantBusy:
            self = APIError(.conflict, code: "tenant-busy", message: message)
        case .tenantNotFound:
            self = APIError(.notFound, code: "tenant-not-found", message: message)
        case .keyNotFound:
            self = APIError(.notFound, code: "key-not-found", message: message)
        case .notFound:
            self = APIError(.notFound, code: "not-found", message: message)
        case .insufficientPrivilege:
            self = APIError(.internalServerError, code: "database-privilege", message: message)
        case .migrationChanged, .migrationsInvalid:
            self = APIError(.internalServerError, code: "migrations", message: message)
        case .database:
            self = APIError(.serviceUnavailable, code: "database-unavailable", message: message)
        }
    }

    /// `text` as a sentence: capitalised, with a full stop.
    static func sentence(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.uppercased() + text.dropFirst() + (text.hasSuffix(".") ? "" : ".")
    }

    /// The response for this error.
    func response() -> Response {
        let data = (try? JSONAnswer.data(Body(error: .init(code: code, message: message, index: index, diagnostics: diagnostics)))) ?? Data()
        return JSONAnswer.response(data, status: status, headers: headers)
    }
}
