import Foundation
import Hummingbird

/// How every JSON answer is written: sorted keys, ISO 8601 dates, unescaped slashes, and a
/// final newline, so that after `curl` the shell's prompt starts on a line of its own.
public struct JSONAnswer: ResponseEncoder {
    public init() {}

    /// `value` as the bytes of an answer.
    public static func data(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value) + Data("\n".utf8)
    }

    /// A response carrying `data` (from ``data(_:)``, or JSON text ending in a newline).
    public static func response(_ data: Data, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        fields[.contentLength] = String(data.count)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        Self.response(try Self.data(value))
    }
}
