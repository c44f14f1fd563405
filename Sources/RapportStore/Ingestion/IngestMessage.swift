import Foundation

/// The Segment message types.
public enum MessageType: String, Sendable, CaseIterable {
    case identify, track, page, screen, group, alias
}

/// One Segment-shaped message, checked and with its timestamp corrected for client clock skew.
public struct IngestMessage: Sendable {
    public var type: MessageType
    public var messageID: String
    public var userID: String?
    public var anonymousID: String?
    /// `event` of a track, `name` of a page or screen.
    public var name: String?
    public var groupID: String?
    public var previousID: String?
    /// `traits` of identify and group; `properties` of track, page and screen.
    public var payload: [String: JSONValue]
    public var context: [String: JSONValue]
    /// When it happened (microseconds since 1970, UTC), corrected with `sentAt` as Segment does.
    public var timestamp: Int64
    public var receivedAt: Int64
    /// The size of the message as sent, in bytes.
    public var size: Int
    /// The source name of the key that sent it (set by the caller).
    public var source: String?
}

/// Why a message was refused. `index` is its position in a batch (nil for a single message).
public struct MessageError: Error, Equatable, CustomStringConvertible, Sendable {
    public var index: Int?
    public var reason: String

    public init(index: Int? = nil, reason: String) {
        self.index = index
        self.reason = reason
    }

    public var description: String {
        if let index { return "message \(index) of the batch: \(reason)" }
        return reason
    }
}

/// Reads Segment HTTP Tracking API bodies.
public enum MessageReader {
    /// The largest message Segment accepts, and so Rapport.
    public static let maxMessageBytes = 32 * 1024
    /// The largest batch.
    public static let maxBatchBytes = 500 * 1024

    /// Reads a single-message body sent to `/v1/<type>`.
    /// - Throws: ``MessageError`` naming the problem.
    public static func single(_ body: [UInt8], type: MessageType, receivedAt: Int64) throws -> (IngestMessage, writeKey: String?) {
        guard body.count <= maxMessageBytes else {
            throw MessageError(reason: "the message is \(body.count) bytes; the limit is \(maxMessageBytes) bytes (32 KB)")
        }
        let value: JSONValue
        do { value = try JSONParser.parse(body) } catch { throw MessageError(reason: "\(error)") }
        guard case .object(let object) = value else { throw MessageError(reason: "the body must be a JSON object") }
        let message = try read(object, type: type, batchSentAt: nil, receivedAt: receivedAt, size: body.count, index: nil)
        return (message, object["writeKey"]?.stringValue)
    }

    /// Reads a `/v1/batch` (or `/v1/import`) body: `{"batch": [ … ], "sentAt": …, "context": …}`.
    /// - Throws: ``MessageError`` for the first bad message, with its index; nothing is returned then.
    public static func batch(_ body: [UInt8], receivedAt: Int64) throws -> (messages: [IngestMessage], writeKey: String?) {
        guard body.count <= maxBatchBytes else {
            throw MessageError(reason: "the batch is \(body.count) bytes; the limit is \(maxBatchBytes) bytes (500 KB)")
        }
        let parsed: (value: JSONValue, spans: [Range<Int>])
        do { parsed = try JSONParser.parseWithSpans(body) } catch { throw MessageError(reason: "\(error)") }
        guard case .object(let object) = parsed.value else { throw MessageError(reason: "the body must be a JSON object") }
        guard case .array(let items)? = object["batch"] else {
            throw MessageError(reason: "the body must have a `batch` array of messages")
        }
        var sentAt: Int64?
        if let value = object["sentAt"] { sentAt = try time(value, field: "sentAt", index: nil) }
        let sharedContext = object["context"]?.objectValue
        if let context = object["context"], context != .null, sharedContext == nil {
            throw MessageError(reason: "the batch's `context` must be an object")
        }
        var messages: [IngestMessage] = []
        messages.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            let size = index < parsed.spans.count ? parsed.spans[index].count : 0
            guard size <= maxMessageBytes else {
                throw MessageError(index: index, reason: "the message is \(size) bytes; the limit is \(maxMessageBytes) bytes (32 KB)")
            }
            guard case .object(var message) = item else { throw MessageError(index: index, reason: "a message must be a JSON object") }
            guard let typeName = message["type"]?.stringValue else {
                throw MessageError(index: index, reason: "`type` is missing (identify, track, page, screen, group or alias)")
            }
            guard let type = MessageType(rawValue: typeName.lowercased()) else {
                throw MessageError(index: index, reason: "`type` is `\(typeName)`; it must be identify, track, page, screen, group or alias")
            }
            if let sharedContext {
                var context = sharedContext
                for (key, value) in message["context"]?.objectValue ?? [:] { context[key] = value }
                message["context"] = .object(context)
            }
            messages.append(try read(message, type: type, batchSentAt: sentAt, receivedAt: receivedAt, size: size, index: index))
        }
        return (messages, object["writeKey"]?.stringValue)
    }

    /// Reads one NDJSON line of an import file (`type` required, as in a batch).
    /// - Parameter defaultMessageID: the messageId of a line that has none (imports derive one from
    ///   the line's bytes, so that importing a file again stores nothing twice).
    public static func line(_ bytes: [UInt8], receivedAt: Int64, defaultMessageID: (() -> String)? = nil) throws -> IngestMessage {
        guard bytes.count <= maxMessageBytes else {
            throw MessageError(reason: "the message is \(bytes.count) bytes; the limit is \(maxMessageBytes) bytes (32 KB)")
        }
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch { throw MessageError(reason: "\(error)") }
        guard case .object(let object) = value else { throw MessageError(reason: "a line must be a JSON object") }
        guard let typeName = object["type"]?.stringValue, let type = MessageType(rawValue: typeName.lowercased()) else {
            throw MessageError(reason: "`type` must be identify, track, page, screen, group or alias")
        }
        return try read(object, type: type, batchSentAt: nil, receivedAt: receivedAt, size: bytes.count, index: nil,
                        defaultMessageID: defaultMessageID)
    }

    static func read(
        _ object: [String: JSONValue], type: MessageType, batchSentAt: Int64?, receivedAt: Int64, size: Int, index: Int?,
        defaultMessageID: (() -> String)? = nil
    ) throws -> IngestMessage {
        func fail(_ reason: String) -> MessageError { MessageError(index: index, reason: reason) }
        func identifier(_ field: String) throws -> String? {
            let value: String
            switch object[field] {
            case nil, .null?: return nil
            case .string(let s)?: value = s
            case .number(let n)?: value = n
            default: throw fail("`\(field)` must be a string")
            }
            guard !value.isEmpty else { return nil }
            // PostgreSQL compares bytes and Swift canonical equivalence: NFC makes them agree.
            // The limit holds for what is stored (NFC can lengthen text: U+0958 is two scalars).
            let normalized = value.nfc
            guard normalized.utf8.count <= 500 else { throw fail("`\(field)` is longer than 500 bytes") }
            return normalized
        }
        func dictionary(_ field: String) throws -> [String: JSONValue] {
            switch object[field] {
            case nil, .null?: return [:]
            case .object(let o)?: return o
            default: throw fail("`\(field)` must be a JSON object")
            }
        }

        let userID = try identifier("userId")
        let anonymousID = try identifier("anonymousId")
        var message = IngestMessage(
            type: type, messageID: "", userID: userID, anonymousID: anonymousID, name: nil, groupID: nil, previousID: nil,
            payload: [:], context: try dictionary("context"), timestamp: receivedAt, receivedAt: receivedAt, size: size, source: nil)

        switch type {
        case .identify, .group:
            message.payload = try dictionary("traits")
        case .track, .page, .screen:
            message.payload = try dictionary("properties")
        case .alias:
            break
        }
        switch type {
        case .track:
            guard let event = object["event"]?.stringValue, !event.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw fail("a track message needs an `event` name")
            }
            guard event.utf8.count <= 200 else { throw fail("the `event` name is longer than 200 bytes") }
            message.name = event
        case .page, .screen:
            if let name = try identifier("name") { message.name = name }
        case .group:
            guard let group = try identifier("groupId") else { throw fail("a group message needs a `groupId`") }
            message.groupID = group
        case .alias:
            guard let previous = try identifier("previousId") else { throw fail("an alias message needs a `previousId`") }
            guard userID != nil else { throw fail("an alias message needs a `userId`") }
            message.previousID = previous
        case .identify:
            break
        }
        guard userID != nil || anonymousID != nil else {
            throw fail("a message needs a `userId` or an `anonymousId`")
        }

        switch object["messageId"] {
        case nil, .null?: message.messageID = defaultMessageID?() ?? "rapport-" + UUID().uuidString.lowercased()
        case .string(let id)? where !id.isEmpty:
            let normalized = id.nfc
            guard normalized.utf8.count <= 200 else { throw fail("`messageId` must be a non-empty string of at most 200 bytes") }
            message.messageID = normalized
        case .number(let id)? where id.utf8.count <= 200: message.messageID = id
        default: throw fail("`messageId` must be a non-empty string of at most 200 bytes")
        }

        // Segment's skew correction: timestamp = receivedAt - (sentAt - originalTimestamp).
        let original = try object["timestamp"].map { try time($0, field: "timestamp", index: index) }
            ?? object["originalTimestamp"].map { try time($0, field: "originalTimestamp", index: index) } ?? nil
        let sentAt = try object["sentAt"].map { try time($0, field: "sentAt", index: index) } ?? batchSentAt
        if let original {
            message.timestamp = sentAt.map { receivedAt - ($0 - original) } ?? original
            guard (Self.earliest...Self.latest).contains(message.timestamp) else {
                throw fail("the timestamp, corrected for the client's clock with `sentAt`, falls outside the years 1000 to 9999")
            }
        }
        return message
    }

    /// The range of timestamps stored: years 1000 to 9999.
    static let earliest = Timestamp.parse("1000-01-01")!
    static let latest = Timestamp.parse("9999-12-31T23:59:59.999999Z")!

    static func time(_ value: JSONValue, field: String, index: Int?) throws -> Int64? {
        switch value {
        case .null: return nil
        case .string(let text):
            guard let micros = Timestamp.parse(text) else {
                throw MessageError(index: index, reason: "`\(field)` is not an ISO-8601 date-time: `\(text.prefix(40))`")
            }
            return micros
        default:
            throw MessageError(index: index, reason: "`\(field)` must be an ISO-8601 date-time string")
        }
    }
}

extension String {
    /// The string in Unicode normalization form C (ASCII returned as is, cheaply).
    var nfc: String {
        utf8.allSatisfy { $0 < 0x80 } ? self : precomposedStringWithCanonicalMapping
    }
}
