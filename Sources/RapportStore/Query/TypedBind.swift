import NIOCore
import PostgresNIO
import RapportQL

/// A compiled query's bind as PostgreSQL receives it: its text, declared with its type. A
/// timestamp or interval sent as `text` and cast in the SQL (`$3::timestamptz`) is parsed again
/// for every row the cast is evaluated on (the text-to-timestamp cast depends on the time zone,
/// so PostgreSQL does not fold it): a stage rule or a window tested per profile or per event
/// did that a million times. Declared as `timestamptz` or `interval`, it is parsed once, when
/// the query is bound, with the session's time zone as the cast had. (Numbers stay text: their
/// cast is folded once anyway, and text keeps the digits exactly as written.)
public struct TypedBind: PostgresDynamicTypeEncodable {
    public let text: String
    public let psqlType: PostgresDataType
    public var psqlFormat: PostgresFormat { .text }

    public init(_ bind: SQLBind, now: String) {
        text = bind.value(now: now)
        switch bind {
        case .timestamp, .now: psqlType = .timestamptz
        case .interval: psqlType = .interval
        case .text, .numeric, .json: psqlType = .text
        }
    }

    public func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeString(text)
    }

    /// `binds` as a query's bindings.
    public static func bindings(_ binds: [SQLBind], now: String, capacity: Int = 0) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: max(capacity, binds.count))
        for bind in binds { bindings.append(TypedBind(bind, now: now)) }
        return bindings
    }
}
