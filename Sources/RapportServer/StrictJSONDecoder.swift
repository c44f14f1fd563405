import Foundation
import Hummingbird
import NIOCore
import RapportQL
import RapportStore

/// The one reader of JSON request bodies, for every route that `decode`s one: the body is
/// collected up to a limit (past it, 413), read by the same strict parser as ingestion
/// (``JSONParser``: no trailing commas, invalid escapes, leading zeros, raw control
/// characters, invalid UTF-8, lone surrogates or NUL), and only then decoded into its type.
struct StrictJSONDecoder: RequestDecoder {
    /// The largest body a JSON route reads (1 MiB): a query of 100,000 bytes fits even with
    /// every character escaped.
    static let maxBodyBytes = 1 << 20

    func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        let bytes = try await Self.body(of: request, limit: Self.maxBodyBytes)
        return try Self.decode(type, from: bytes)
    }

    /// The body's bytes; 413 past `limit`.
    static func body(of request: Request, limit: Int) async throws -> [UInt8] {
        do {
            return Array(buffer: try await request.body.collect(upTo: limit))
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, code: "payload-too-large", message: "The body is larger than \(NumberText.grouped(limit)) bytes.")
        }
    }

    /// `bytes` read by ``JSONParser``; 400 `invalid-json` naming the problem otherwise.
    static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        do {
            return try JSONParser.parse(bytes)
        } catch let error as JSONParseError {
            throw APIError(.badRequest, code: "invalid-json", message: APIError.sentence(error.description))
        }
    }

    /// `bytes` as `type`, checked by ``JSONParser`` first; 400 naming the problem otherwise.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        _ = try parse(bytes)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw APIError(.badRequest, code: "invalid-request", message: Self.describe(error))
        }
    }

    /// What is wrong with the body, by field, without quoting its values.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let names = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return names.isEmpty ? "the body" : "`" + names.joined(separator: ".").replacingOccurrences(of: ".[", with: "[") + "`"
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "The field `\(key.stringValue)` is missing" + (context.codingPath.isEmpty ? "." : " in \(path(context.codingPath)).")
        case .typeMismatch(let expected, let context):
            return "\(APIError.sentence(path(context.codingPath))) must be \(Self.name(of: expected))."
        case .valueNotFound(let expected, let context):
            return "\(APIError.sentence(path(context.codingPath))) must be \(Self.name(of: expected)), not null."
        case .dataCorrupted(let context):
            return "\(APIError.sentence(path(context.codingPath))) is not valid."
        @unknown default:
            return "The body is not what this route takes."
        }
    }

    static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is Int32.Type: "a whole number"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default: String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}
