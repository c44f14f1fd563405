/// The end of a gzip stream (RFC 1952): its last 8 bytes are the CRC-32 and the length (mod
/// 2^32) of what it unpacks to. The inflater Rapport uses stops quietly at the end of its input,
/// so a cut-off body would pass for a shorter one; this check makes a truncated or padded
/// stream an error. One gzip member only, as `gzip` and every HTTP client write it.
public struct GzipCheck: Sendable {
    private var crc: UInt32 = 0xFFFF_FFFF
    private var length: UInt32 = 0
    /// The last 8 bytes of the packed input seen so far.
    private var tail: [UInt8] = []

    public init() {}

    /// Adds packed input.
    public mutating func packed(_ bytes: some Collection<UInt8>) {
        tail.append(contentsOf: bytes.suffix(8))
        if tail.count > 8 { tail.removeFirst(tail.count - 8) }
    }

    /// Adds unpacked output.
    public mutating func unpacked(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            crc = Self.table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
            length &+= 1
        }
    }

    /// Whether the trailer matches what was unpacked.
    public var isComplete: Bool {
        guard tail.count == 8 else { return false }
        let storedCRC = UInt32(tail[0]) | UInt32(tail[1]) << 8 | UInt32(tail[2]) << 16 | UInt32(tail[3]) << 24
        let storedLength = UInt32(tail[4]) | UInt32(tail[5]) << 8 | UInt32(tail[6]) << 16 | UInt32(tail[7]) << 24
        return storedCRC == ~crc && storedLength == length
    }

    /// Whether `packed` unpacks to exactly `unpacked`, trailer and all.
    public static func matches(packed: some Collection<UInt8>, unpacked: some Sequence<UInt8>) -> Bool {
        var check = GzipCheck()
        check.packed(packed)
        check.unpacked(unpacked)
        return check.isComplete
    }

    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }
}
