import Foundation
import RapportTestSupport
@testable import RapportStore

// The message generator of `IngestionFuzzTests`: valid Segment messages as raw JSON, and the
// structural and byte mutations made of them.

/// A JSON tree that keeps strings and numbers as the raw text to write, so that it can hold
/// what no Swift String can (lone surrogate escapes, invalid UTF-8, duplicate keys).
indirect enum RawJSON {
    case literal([UInt8])
    case string([UInt8])
    case array([RawJSON])
    case object([(key: [UInt8], value: RawJSON)])

    static func text(_ s: String) -> RawJSON { .string(escaped(s)) }
    static func number(_ s: String) -> RawJSON { .literal(Array(s.utf8)) }

    static func escaped(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [92, 34]
            case UInt8(ascii: "\\"): out += [92, 92]
            case 0..<0x20: out += Array(String(format: "\\u%04x", byte).utf8)
            default: out.append(byte)
            }
        }
        return out
    }

    func write(to out: inout [UInt8]) {
        switch self {
        case .literal(let raw): out += raw
        case .string(let raw): out.append(34); out += raw; out.append(34)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, member) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(34); out += member.key; out.append(34); out.append(UInt8(ascii: ":"))
                member.value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    var bytes: [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    subscript(key: String) -> RawJSON? {
        get {
            guard case .object(let members) = self else { return nil }
            return members.last { $0.key == Array(key.utf8) }?.value
        }
        set {
            guard case .object(var members) = self else { return }
            members.removeAll { $0.key == Array(key.utf8) }
            if let newValue { members.append((Array(key.utf8), newValue)) }
            self = .object(members)
        }
    }

    /// The number of string nodes (keys included), for picking one.
    var stringCount: Int {
        switch self {
        case .literal: 0
        case .string: 1
        case .array(let items): items.reduce(0) { $0 + $1.stringCount }
        case .object(let members): members.reduce(0) { $0 + 1 + $1.value.stringCount }
        }
    }

    /// Applies `change` to the raw bytes of string number `index` (keys counted).
    mutating func changeString(_ index: Int, _ change: (inout [UInt8]) -> Void) {
        var counter = index
        changeString(&counter, change)
    }

    private mutating func changeString(_ counter: inout Int, _ change: (inout [UInt8]) -> Void) {
        switch self {
        case .literal: return
        case .string(var raw):
            if counter == 0 { change(&raw); self = .string(raw) }
            counter -= 1
        case .array(var items):
            for i in items.indices where counter >= 0 { items[i].changeString(&counter, change) }
            self = .array(items)
        case .object(var members):
            for i in members.indices where counter >= 0 {
                if counter == 0 { change(&members[i].key) }
                counter -= 1
                members[i].value.changeString(&counter, change)
            }
            self = .object(members)
        }
    }
}

/// One generated body for the message reader, and what it was made from.
struct MessageInput {
    enum Shape: CustomStringConvertible {
        case single(MessageType)
        case batch(Int)
        case line

        var description: String {
            switch self {
            case .single(let type): "MessageReader.single(\(type))"
            case .batch: "MessageReader.batch"
            case .line: "MessageReader.line"
            }
        }

        /// How a saved input names its shape: `single-track.json`, `batch.json`, `line.json`.
        var fileSuffix: String {
            switch self {
            case .single(let type): "single-\(type.rawValue).json"
            case .batch: "batch.json"
            case .line: "line.json"
            }
        }

        init?(fileName: String) {
            let parts = fileName.split(separator: ".")
            guard parts.count >= 3, parts.last == "json" else { return nil }
            let kind = parts[parts.count - 2]
            if kind == "batch" {
                self = .batch(-1)
            } else if kind == "line" {
                self = .line
            } else if kind.hasPrefix("single-"), let type = MessageType(rawValue: String(kind.dropFirst(7))) {
                self = .single(type)
            } else {
                return nil
            }
        }
    }

    var shape: Shape
    var bytes: [UInt8]
    /// The hostile thing put in on purpose, which must be refused.
    var hostile: String?
    var mutations: [String]

    static let words = ["Ann", "Zoë", "José", "Jose\u{301}", "日本", "🚀", "a b", "O'Reilly", "\"q\"", "back\\slash", "tab\t", "line\nbreak", "", " ", "x"]

    /// A string; `wild` ones may be long enough to pass the message limit.
    static func randomString(_ random: inout SplitMix, wild: Bool = false) -> String {
        switch random.below(10) {
        case 0: String(repeating: words[random.below(words.count)], count: 1 + random.below(wild && random.below(2) == 0 ? 3000 : 10))
        case 1: String(String.UnicodeScalarView((0..<(1 + random.below(20))).compactMap { _ in Unicode.Scalar(UInt32(1 + random.below(0x10FFFF))) }))
        default: words[random.below(words.count)] + String(random.below(1000))
        }
    }

    static func randomValue(_ random: inout SplitMix, wild: Bool = false, depth: Int = 0) -> RawJSON {
        switch random.below(depth > 3 ? 5 : 8) {
        case 0: .literal(Array(["true", "false", "null"][random.below(3)].utf8))
        case 1: .number(randomNumber(&random, wild: wild))
        case 2, 3, 4: .text(randomString(&random, wild: wild))
        case 5: .array((0..<random.below(5)).map { _ in randomValue(&random, wild: wild, depth: depth + 1) })
        default: .object((0..<random.below(5)).map { _ in (RawJSON.escaped(randomString(&random, wild: wild)), randomValue(&random, wild: wild, depth: depth + 1)) })
        }
    }

    /// A number; `wild` ones may be longer or larger than PostgreSQL's numeric holds.
    static func randomNumber(_ random: inout SplitMix, wild: Bool = false) -> String {
        switch random.below(8) {
        case 0: String(repeating: "9", count: 1 + random.below(wild ? 1200 : 990))
        case 1: "1e" + String(random.below(wild ? 100_000 : 1000))
        case 2: "-0.\(String(repeating: "0", count: random.below(wild ? 1100 : 500)))1E-\(random.below(wild ? 5000 : 1000))"
        case 3: "12345678901234567890123"
        default: String(Int(truncatingIfNeeded: random.next() >> UInt64(random.below(64))))
        }
    }

    static func timestamp(_ random: inout SplitMix) -> String {
        // Years near 2024, so that a batch's `sentAt` correction stays in range.
        let year = [1969, 1970, 2000, 2024, 2038][random.below(5)]
        let month = 1 + random.below(12), day = 1 + random.below(28)
        let zones = ["Z", "+02:00", "-0530", "", "z"]
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03d", year, month, day, random.below(24), random.below(60), random.below(60), random.below(1000))
            + zones[random.below(zones.count)]
    }

    /// A valid message of `type` (with `type` in it when `typed`).
    static func message(_ type: MessageType, typed: Bool, _ random: inout SplitMix) -> RawJSON {
        var m = RawJSON.object([])
        if typed { m["type"] = .text(random.below(4) == 0 ? type.rawValue.uppercased() : type.rawValue) }
        let user = "u-\(random.below(1000))"
        switch random.below(4) {
        case 0: m["anonymousId"] = .text("d-\(random.below(1000))")
        case 1: m["userId"] = .number(String(random.below(1_000_000)))
        default: m["userId"] = .text(random.below(5) == 0 ? "Jose\u{301}-\(user)" : user)
        }
        if random.below(3) == 0 { m["messageId"] = .text("m-\(random.next())") }
        if random.below(2) == 0 { m["timestamp"] = .text(timestamp(&random)) }
        if random.below(4) == 0 { m["context"] = .object([(Array("ip".utf8), .text("1.2.3.4")), (Array("library".utf8), .object([(Array("name".utf8), .text("analytics.js"))]))]) }
        let payload = RawJSON.object((0..<random.below(6)).map { _ in (RawJSON.escaped(["plan", "email", "revenue", "path", "名前", "a.b", ""][random.below(7)] + String(random.below(3))), randomValue(&random)) })
        switch type {
        case .identify, .group:
            m["traits"] = payload
            if type == .group { m["groupId"] = .text("acme-\(random.below(100))") }
        case .track:
            m["event"] = .text(["Order Completed", "signup", "página vista", "🚀 launch"][random.below(4)])
            m["properties"] = payload
        case .page, .screen:
            if random.below(2) == 0 { m["name"] = .text(["Home", "Settings", "Über"][random.below(3)]) }
            m["properties"] = payload
        case .alias:
            m["userId"] = .text(user)
            m["previousId"] = .text("d-\(random.below(1000))")
        }
        return m
    }

    static func generate(_ random: inout SplitMix, mutate: Bool = true) -> MessageInput {
        let type = MessageType.allCases[random.below(MessageType.allCases.count)]
        var tree: RawJSON
        let shape: Shape
        switch random.below(3) {
        case 0:
            shape = .single(type)
            tree = message(type, typed: false, &random)
        case 1:
            let count = 1 + random.below(random.below(4) == 0 ? 300 : 6)
            let items = (0..<count).map { _ in message(MessageType.allCases[random.below(MessageType.allCases.count)], typed: true, &random) }
            tree = .object([(Array("batch".utf8), .array(items))])
            if random.below(3) == 0 { tree["sentAt"] = .text("2024-06-01T12:00:0\(random.below(10))Z") }
            if random.below(4) == 0 { tree["context"] = .object([(Array("app".utf8), .text("fuzz"))]) }
            if random.below(4) == 0 { tree["writeKey"] = .text("k") }
            shape = .batch(count)
        default:
            shape = .line
            tree = message(type, typed: true, &random)
        }
        var input = MessageInput(shape: shape, bytes: [], hostile: nil, mutations: [])
        guard mutate, random.below(20) != 0 else {
            input.bytes = tree.bytes
            return input
        }
        switch random.below(10) {
        case 0, 1: // something that must be refused, in any string
            let hostile = IngestionFuzz.HostileText.allCases[random.below(3)]
            let sample = hostile.samples[random.below(hostile.samples.count)]
            let index = random.below(max(tree.stringCount, 1))
            let at = random.below(3)
            tree.changeString(index) { raw in
                // Never inside an escape: at the start, the end, or between escapes.
                at == 0 ? raw.insert(contentsOf: sample, at: 0) : raw.append(contentsOf: sample)
            }
            input.hostile = hostile.rawValue
        case 2: // an impossible date where it is read
            let date = IngestionFuzz.impossibleDates[random.below(IngestionFuzz.impossibleDates.count)]
            if case .batch = shape, random.below(2) == 0 {
                tree["sentAt"] = .text(date)
            } else if case .batch = shape, case .array(var items)? = tree["batch"] {
                items[random.below(items.count)]["timestamp"] = .text(date)
                tree["batch"] = .array(items)
            } else {
                tree["timestamp"] = .text(date)
            }
            input.hostile = "impossible date"
        case 3: // nesting past the limit, in the message or (in a batch) one of its messages
            let depth = JSONParser.maxDepth + random.below(random.below(2) == 0 ? 3 : 5000)
            let where_ = ["properties", "traits", "context"][random.below(3)]
            if case .batch = shape, case .array(var items)? = tree["batch"] {
                items[random.below(items.count)][where_] = nested(depth)
                tree["batch"] = .array(items)
            } else {
                tree[where_] = nested(depth)
            }
            input.hostile = "too deep"
        default:
            for _ in 0..<(1 + random.below(3)) { structural(&tree, &input, &random) }
        }
        input.bytes = tree.bytes
        if input.hostile == nil, random.below(2) == 0 {
            for _ in 0..<(1 + random.below(4)) { byteMutation(&input, &random) }
        }
        return input
    }

    /// Changes the message's JSON structure (in a batch, one of its messages).
    static func structural(_ tree: inout RawJSON, _ input: inout MessageInput, _ random: inout SplitMix) {
        if case .batch = input.shape, case .array(var items)? = tree["batch"], !items.isEmpty, random.below(4) != 0 {
            let i = random.below(items.count)
            structuralOnMessage(&items[i], &input, &random)
            tree["batch"] = .array(items)
        } else {
            structuralOnMessage(&tree, &input, &random)
        }
    }

    static func structuralOnMessage(_ m: inout RawJSON, _ input: inout MessageInput, _ random: inout SplitMix) {
        let fields = ["userId", "anonymousId", "messageId", "timestamp", "sentAt", "originalTimestamp", "event", "name", "traits",
                      "properties", "context", "groupId", "previousId", "type", "batch"]
        let field = fields[random.below(fields.count)]
        switch random.below(9) {
        case 0: // nesting, up to near the limit (past it is `deepNesting`)
            m[["properties", "traits", "context", "extra"][random.below(4)]] = nested(1 + random.below(150))
            input.mutations.append("nested")
        case 1: // a huge number, anywhere
            m[field] = .number(randomNumber(&random, wild: true))
            input.mutations.append("number in \(field)")
        case 2: // a long or odd string
            m[field] = .text(randomString(&random, wild: true))
            input.mutations.append("string in \(field)")
        case 3: // the wrong type
            m[field] = randomValue(&random, wild: true)
            input.mutations.append("value in \(field)")
        case 4: // a field missing
            m[field] = nil
            input.mutations.append("no \(field)")
        case 5: // a duplicate key
            if case .object(var members) = m, !members.isEmpty {
                members.append(members[random.below(members.count)])
                members.append((Array(field.utf8), randomValue(&random, wild: true)))
                m = .object(members)
            }
            input.mutations.append("duplicate key")
        case 6: // many keys
            if case .object(var members) = m {
                for k in 0..<random.below(3000) { members.append((Array("k\(k)".utf8), .literal(Array("1".utf8)))) }
                m = .object(members)
            }
            input.mutations.append("many keys")
        case 7: // a valid but odd timestamp
            let odd = ["2024-02-29T23:59:59.999999Z", "1000-01-01", "9999-12-31T23:59:59.999999Z", "1969-12-31 23:59:59-23:59",
                       "2024-06-01T10:00", "2024-06-01T10:00:00,5+0130", "2024-06-01T10:00:00.1234567890123Z", "9999-12-31T23:59:59-01:00",
                       "1000-01-01T00:00:00+14:00", "2024-06-01T10:00:00Z  ", " 2024-06-01"]
            m[["timestamp", "sentAt", "originalTimestamp"][random.below(3)]] = .text(odd[random.below(odd.count)])
            input.mutations.append("odd timestamp")
        default: // valid unicode that changes under NFC, in identifiers (U+0958 doubles in bytes)
            let odd = ["e\u{301}", "\u{212B}", "ﬁ", "Å", "\u{1E9B}\u{323}", String(repeating: "\u{0958}", count: 1 + random.below(200))]
            m[["userId", "anonymousId", "previousId", "groupId", "event", "messageId"][random.below(6)]] = .text(odd[random.below(odd.count)])
            input.mutations.append("unicode id")
        }
    }

    /// `depth` arrays and objects, one in the other.
    static func nested(_ depth: Int) -> RawJSON {
        var value = RawJSON.literal(Array("1".utf8))
        for k in 0..<depth { value = k % 2 == 0 ? .array([value]) : .object([(Array("k".utf8), value)]) }
        return value
    }

    static func byteMutation(_ input: inout MessageInput, _ random: inout SplitMix) {
        var b = input.bytes
        let at = random.below(b.count + 1)
        switch random.below(8) {
        case 0: if at < b.count { b[at] ^= UInt8(1 << random.below(8)) }
        case 1: if at < b.count { b[at] = UInt8(random.below(256)) }
        case 2: b.insert(contentsOf: (0..<(1 + random.below(8))).map { _ in UInt8(random.below(256)) }, at: at)
        case 3: b.removeSubrange(at..<min(b.count, at + 1 + random.below(16)))
        case 4: b.removeSubrange(at..<b.count)
        case 5:
            let end = min(b.count, at + 1 + random.below(64))
            b.insert(contentsOf: Array(b[at..<end]), at: at)
        case 6: b.insert(contentsOf: [[0xFF], [0xC0, 0x80], [0xED, 0xB0, 0x80], [0x00], [0xEF, 0xBB, 0xBF], [0x20, 0x0A, 0x09]][random.below(6)], at: at)
        default: b.insert(contentsOf: Array([#"\"#, #"\u"#, #"\ud800"#, #"""#, "{", "[", "]", "}", ",", ":", "-", "e", "."][random.below(13)].utf8), at: at)
        }
        input.bytes = b
        input.mutations.append("bytes")
    }
}
