import Foundation
import Testing
@testable import RapportStore

@Suite struct JSONParserTests {
    @Test func parsesAndSerialisesRoundTrip() throws {
        let text = #"{"a":[1,-2.5e3,true,false,null],"b":{"c":"x\"y\\z\n\u00e9\ud83d\ude00"},"big":12345678901234567890}"#
        let value = try JSONParser.parse(Array(text.utf8))
        #expect(value["big"] == .number("12345678901234567890"))
        #expect(value["b"]?["c"]?.stringValue == "x\"y\\z\né😀")
        // Serialising and parsing again gives the same value.
        #expect(try JSONParser.parse(Array(value.jsonText.utf8)) == value)
    }

    @Test(arguments: ["", "{", "{\"a\":}", "[1,]", "{\"a\" 1}", "tru", "01", "1.", "\"\\x\"", "\"a\nb\"", "{} x", "[\"\u{1}\"]"])
    func rejectsMalformedJSON(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    /// PostgreSQL's text and jsonb cannot hold NUL, and replacing it would make `a\u0000` and
    /// `a\ufffd` one identifier: it is refused, raw or escaped, with where it is.
    @Test func nulIsRefused() throws {
        #expect(throws: JSONParseError(offset: 2, reason: "the NUL character (`\\u0000`) cannot be stored")) {
            try JSONParser.parse(Array(#""a\u0000b""#.utf8))
        }
        #expect(throws: JSONParseError(offset: 2, reason: "the NUL character cannot be stored")) {
            try JSONParser.parse([34, 97, 0, 98, 34])
        }
    }

    /// Invalid UTF-8 was replaced with U+FFFD, so `collide-\xff` and `collide-\xfe` became one
    /// user (issue 14): now it is refused, at the first bad byte.
    @Test(arguments: [[0xFF], [0xFE], [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], [0xE2, 0x82]] as [[UInt8]])
    func invalidUTF8IsRefused(_ bad: [UInt8]) throws {
        let text = Array(#"{"userId":"collide-"#.utf8) + bad + Array(#"x"}"#.utf8)
        #expect(throws: JSONParseError(offset: 19, reason: "a string is not valid UTF-8")) { try JSONParser.parse(text) }
        // In a key, and after an escape (the slow path), too.
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(#"{"a"#.utf8) + bad + Array(#"":1}"#.utf8)) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(#""\n"#.utf8) + bad + [34]) }
        // Valid multi-byte text passes, on both paths.
        #expect(try JSONParser.parse(Array(#""zoë \n 😀""#.utf8)) == .string("zoë \n 😀"))
    }

    @Test func recordsTheSpansOfABatchsMessages() throws {
        let text = #"{"batch": [ {"a":1} , {"b":[2,3]} ], "x": [9]}"#
        let (_, spans) = try JSONParser.parseWithSpans(Array(text.utf8))
        let bytes = Array(text.utf8)
        #expect(spans.map { String(decoding: bytes[$0], as: UTF8.self) } == [#"{"a":1}"#, #"{"b":[2,3]}"#])
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(deep.utf8)) }
    }
}

@Suite struct TimestampTests {
    @Test(arguments: [
        ("2024-03-01", "2024-03-01T00:00:00.000Z"),
        ("2024-03-01T10:00:00Z", "2024-03-01T10:00:00.000Z"),
        ("2024-03-01T10:00:00.123+02:00", "2024-03-01T08:00:00.123Z"),
        ("2024-03-01 10:00:00.5-0130", "2024-03-01T11:30:00.500Z"),
        ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59.000Z"),
        ("2000-02-29T12:00:00z", "2000-02-29T12:00:00.000Z"),
    ])
    func parsesISO8601(_ text: String, _ expected: String) throws {
        let micros = try #require(Timestamp.parse(text))
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        #expect(formatter.string(from: Timestamp.date(micros)) == expected)
    }

    @Test(arguments: ["", "2024-13-01", "2024-03-01T25:00:00Z", "yesterday", "2024-03-01T10:00:00Q", "2024/03/01", "2024-03-01T",
                      // Days the calendar does not have were moved on to the next month (issue 14).
                      "2023-02-30T10:00:00Z", "2024-04-31T23:59:60Z", "2023-02-29", "2024-02-30", "2024-06-31", "1900-02-29",
                      "2024-03-01T23:59:60Z", "2024-03-01T10:00:00+01:60", "2024-00-10", "2024-01-00"])
    func rejectsWhatIsNotADate(_ text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test func formatsForPostgreSQLAndReadsBack() throws {
        for text in ["2024-03-01T10:00:00.123456Z", "1969-07-20T20:17:40Z", "2038-01-19T03:14:08.000001Z"] {
            let micros = try #require(Timestamp.parse(text))
            #expect(Timestamp.parse(Timestamp.format(micros)) == micros)
        }
        #expect(Timestamp.format(Timestamp.parse("2024-03-01T10:00:00.5Z")!) == "2024-03-01 10:00:00.500000+00")
    }
}

@Suite struct MessageReaderTests {
    let now = Timestamp.parse("2024-06-01T12:00:00Z")!

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func correctsClockSkewWithSentAt() throws {
        // The client's clock is 1 hour fast: sentAt says 13:00 when the server receives at 12:00.
        let body = bytes(#"{"userId":"u","event":"e","timestamp":"2024-06-01T12:30:00Z","sentAt":"2024-06-01T13:00:00Z"}"#)
        let (message, _) = try MessageReader.single(body, type: .track, receivedAt: now)
        #expect(message.timestamp == Timestamp.parse("2024-06-01T11:30:00Z"))
        // Without sentAt the timestamp is taken as sent; without a timestamp it is the receipt time.
        let plain = try MessageReader.single(bytes(#"{"userId":"u","event":"e","timestamp":"2024-01-01"}"#), type: .track, receivedAt: now).0
        #expect(plain.timestamp == Timestamp.parse("2024-01-01"))
        #expect(try MessageReader.single(bytes(#"{"userId":"u","event":"e"}"#), type: .track, receivedAt: now).0.timestamp == now)
    }

    @Test func batchSentAtAndContextApplyToEveryMessage() throws {
        let body = bytes(#"{"sentAt":"2024-06-01T12:00:10Z","context":{"library":{"name":"x"}},"writeKey":"k","batch":[{"type":"identify","userId":"u","timestamp":"2024-06-01T12:00:00Z","context":{"ip":"1.2.3.4"}}]}"#)
        let (messages, key) = try MessageReader.batch(body, receivedAt: now)
        #expect(key == "k")
        #expect(messages[0].timestamp == now - 10_000_000)
        #expect(messages[0].context["library"]?["name"]?.stringValue == "x")
        #expect(messages[0].context["ip"]?.stringValue == "1.2.3.4")
    }

    @Test(arguments: [
        (#"{"batch":[{"type":"track","userId":"u"}]}"#, "message 0 of the batch: a track message needs an `event` name"),
        (#"{"batch":[{"type":"identify","userId":"u"},{"type":"track","event":"e"}]}"#, "message 1 of the batch: a message needs a `userId` or an `anonymousId`"),
        (#"{"batch":[{"type":"click","userId":"u"}]}"#, "message 0 of the batch: `type` is `click`; it must be identify, track, page, screen, group or alias"),
        (#"{"batch":[{"userId":"u"}]}"#, "message 0 of the batch: `type` is missing (identify, track, page, screen, group or alias)"),
        (#"{"batch":[{"type":"group","userId":"u"}]}"#, "message 0 of the batch: a group message needs a `groupId`"),
        (#"{"batch":[{"type":"alias","userId":"u"}]}"#, "message 0 of the batch: an alias message needs a `previousId`"),
        (#"{"batch":[{"type":"identify","userId":"u","traits":[1]}]}"#, "message 0 of the batch: `traits` must be a JSON object"),
        (#"{"batch":[{"type":"identify","userId":"u","timestamp":"soon"}]}"#, "message 0 of the batch: `timestamp` is not an ISO-8601 date-time: `soon`"),
        (#"{"batch":[{"type":"identify","userId":{"id":1}}]}"#, "message 0 of the batch: `userId` must be a string"),
        (#"{"batch":{}}"#, "the body must have a `batch` array of messages"),
        (#"[1]"#, "the body must be a JSON object"),
        (#"{"batch":[1,"#, "malformed JSON at byte 12: unexpected end of input"),
    ])
    func badBatchesNameTheProblemAndTheMessage(_ body: String, _ expected: String) {
        #expect(throws: MessageError.self) { try MessageReader.batch(Array(body.utf8), receivedAt: now) }
        do {
            _ = try MessageReader.batch(Array(body.utf8), receivedAt: now)
        } catch {
            #expect("\(error)" == expected)
        }
    }

    @Test func sizeLimits() throws {
        let big = String(repeating: "x", count: 33_000)
        #expect(throws: MessageError.self) { try MessageReader.single(bytes(#"{"userId":"u","traits":{"a":"\#(big)"}}"#), type: .identify, receivedAt: now) }
        let batch = #"{"batch":[{"type":"identify","userId":"u"},{"type":"identify","userId":"u","traits":{"a":"\#(big)"}}]}"#
        do {
            _ = try MessageReader.batch(bytes(batch), receivedAt: now)
            Issue.record("a 33 KB message should be refused")
        } catch let error as MessageError {
            #expect(error.index == 1)
            #expect(error.reason.contains("limit is 32768 bytes"))
        }
        let huge = "{\"batch\":[" + Array(repeating: #"{"type":"identify","userId":"u","traits":{"a":"\#(String(repeating: "y", count: 20_000))"}}"#, count: 26).joined(separator: ",") + "]}"
        #expect(throws: MessageError(reason: "the batch is \(huge.utf8.count) bytes; the limit is 512000 bytes (500 KB)")) {
            try MessageReader.batch(bytes(huge), receivedAt: now)
        }
    }

    @Test func missingMessageIDsAreAssignedAndNumbersAccepted() throws {
        let a = try MessageReader.single(bytes(#"{"userId":42,"event":"e"}"#), type: .track, receivedAt: now).0
        let b = try MessageReader.single(bytes(#"{"userId":42,"event":"e"}"#), type: .track, receivedAt: now).0
        #expect(a.userID == "42")
        #expect(a.messageID != b.messageID)
        #expect(try MessageReader.single(bytes(#"{"userId":"u","event":"e","messageId":"m-1"}"#), type: .track, receivedAt: now).0.messageID == "m-1")
    }
}

extension JSONParserTests {
    /// A lone surrogate is no character (it became U+FFFD, and so a collision): refused.
    @Test(arguments: [#""\ud83d\u0041""#, #""\ud83d""#, #""\udc00x""#, #""a\ud800\ud800""#])
    func loneSurrogatesAreRefused(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    /// PostgreSQL's jsonb refuses such numbers; they are refused here, with the message, not in the transaction.
    @Test(arguments: ["1e99999", "[1E-10000]", String(repeating: "9", count: 1001)])
    func numbersPostgreSQLCannotHoldAreRefused(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test func onlyTheBatchArrayHasSpans() throws {
        let text = #"{"tags":[1,2,3],"batch":[{"a":1}]}"#
        let (_, spans) = try JSONParser.parseWithSpans(Array(text.utf8))
        #expect(spans.count == 1)
    }
}

extension MessageReaderTests {
    @Test func outOfRangeCorrectedTimestampsAndLongIdentifiersAreRefused() {
        let skewed = #"{"userId":"u","event":"e","timestamp":"1001-01-01T00:00:00Z","sentAt":"9000-01-01T00:00:00Z"}"#
        #expect(throws: MessageError.self) { try MessageReader.single(bytes(skewed), type: .track, receivedAt: now) }
        let long = #"{"userId":"\#(String(repeating: "u", count: 501))","event":"e"}"#
        #expect(throws: MessageError(reason: "`userId` is longer than 500 bytes")) { try MessageReader.single(bytes(long), type: .track, receivedAt: now) }
    }

    /// "é" precomposed and decomposed are one identifier, as PostgreSQL will compare the stored bytes.
    @Test func identifiersAreNormalisedToNFC() throws {
        let composed = try MessageReader.single(bytes("{\"userId\":\"Jos\u{e9}\",\"event\":\"e\"}"), type: .track, receivedAt: now).0
        let decomposed = try MessageReader.single(bytes("{\"userId\":\"Jose\u{301}\",\"event\":\"e\"}"), type: .track, receivedAt: now).0
        #expect(Array(composed.userID!.utf8) == Array(decomposed.userID!.utf8))
    }
}
