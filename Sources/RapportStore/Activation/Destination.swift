import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tenant's place to send to (issue 17): a webhook URL that takes signed JSON batches, or
/// the Segment HTTP Tracking API of any Segment-compatible receiver.
public struct DestinationInfo: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case webhook, segment
    }

    public var name: String
    public var kind: Kind
    public var url: String
    public var settings: DestinationSettings
    public var paused: Bool
    public var createdAt: Date?

    enum CodingKeys: String, CodingKey {
        case name, kind, url, settings, paused
        case createdAt = "created_at"
    }
}

/// How a destination is delivered to. Every field has a default; the API takes any subset.
public struct DestinationSettings: Sendable, Codable, Equatable {
    /// Records per request (1 to 1000).
    public var batchSize: Int = 100
    /// Requests in flight at once (1 to 16).
    public var concurrency: Int = 2
    /// Records per second at most (0: no limit).
    public var rate: Double = 0
    /// Seconds a record is retried before it goes to the dead letters (5 to 7 days).
    public var retryWindow: Int = 86_400
    /// Seconds to wait for an answer (1 to 120).
    public var timeout: Int = 30

    public init() {}

    enum CodingKeys: String, CodingKey {
        case batchSize = "batch_size", concurrency, rate
        case retryWindow = "retry_window", timeout
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DestinationSettings()
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize
        concurrency = try c.decodeIfPresent(Int.self, forKey: .concurrency) ?? d.concurrency
        rate = try c.decodeIfPresent(Double.self, forKey: .rate) ?? d.rate
        retryWindow = try c.decodeIfPresent(Int.self, forKey: .retryWindow) ?? d.retryWindow
        timeout = try c.decodeIfPresent(Int.self, forKey: .timeout) ?? d.timeout
    }

    /// The first setting out of its range, as a sentence.
    public var problem: String? {
        if !(1...1000).contains(batchSize) { return "batch_size must be from 1 to 1000 records." }
        if !(1...16).contains(concurrency) { return "concurrency must be from 1 to 16 requests." }
        if !(rate >= 0 && rate <= 1_000_000) { return "rate must be from 0 (no limit) to 1000000 records per second." }
        if !(5...(7 * 86_400)).contains(retryWindow) { return "retry_window must be from 5 seconds to 7 days (604800)." }
        if !(1...120).contains(timeout) { return "timeout must be from 1 to 120 seconds." }
        return nil
    }
}

/// A destination just added, with its secret: the only time the secret is shown.
public struct CreatedDestination: Sendable, Encodable {
    public var destination: DestinationInfo
    /// The signing secret (webhook) or the write key given (segment).
    public var secret: String
    public var note: String
}

/// Where a destination URL may point.
public enum DestinationAddress {
    /// Why `url` may not be a destination, or nil if it may. Unless `allowPrivate`, the host
    /// must resolve only to public addresses (not loopback, private, link-local, shared,
    /// multicast or unspecified): a tenant must not reach the server's own network.
    public static func problem(with url: String, allowPrivate: Bool) async -> String? {
        guard url.utf8.count <= 2048, let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              ["http", "https"].contains(scheme), let host = components.host, !host.isEmpty else {
            return "The url must be an http:// or https:// URL with a host (at most 2048 bytes)."
        }
        guard components.user == nil, components.password == nil else {
            return "The url may not hold a user name or password; a webhook is signed with the destination's secret."
        }
        if allowPrivate { return nil }
        guard let addresses = await resolve(host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host) else {
            return "The host `\(host)` did not resolve within 5 seconds."
        }
        guard !addresses.isEmpty else { return "The host `\(host)` does not resolve to an address." }
        if let bad = addresses.first(where: isPrivate) {
            return """
                The host `\(host)` is a private, loopback or link-local address (\(bad)); destinations must be public. \
                An operator can allow private addresses with RAPPORT_ALLOW_PRIVATE_DESTINATIONS=1.
                """
        }
        return nil
    }

    /// The addresses `host` resolves to, or nil if the resolver takes more than 5 s. The
    /// resolver blocks, so it runs on a thread of its own, never on the shared pool.
    static func resolve(_ host: String) async -> [String]? {
        await withCheckedContinuation { (continuation: CheckedContinuation<[String]?, Never>) in
            let once = Once(continuation)
            Thread.detachNewThread { once.resume(resolveBlocking(host)) }
            DispatchQueue.global().asyncAfter(deadline: .now() + 5) { once.resume(nil) }
        }
    }

    /// Resumes a continuation the first time only.
    final class Once: @unchecked Sendable {
        let lock = NSLock()
        var continuation: CheckedContinuation<[String]?, Never>?
        init(_ continuation: CheckedContinuation<[String]?, Never>) { self.continuation = continuation }
        func resume(_ value: [String]?) {
            lock.lock()
            let taken = continuation
            continuation = nil
            lock.unlock()
            taken?.resume(returning: value)
        }
    }

    static func resolveBlocking(_ host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [String] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(current.pointee.ai_addr, current.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                addresses.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            entry = current.pointee.ai_next
        }
        return addresses
    }

    /// Whether `address` (numeric IPv4 or IPv6) is not a public unicast address.
    public static func isPrivate(_ address: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            let b = withUnsafeBytes(of: v4.s_addr) { Array($0) }
            return isPrivateV4(b)
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address.split(separator: "%").first.map(String.init) ?? address, &v6) == 1 else { return true }
        let b = withUnsafeBytes(of: v6) { Array($0) }
        if b[0..<15].allSatisfy({ $0 == 0 }) { return true }  // :: and ::1
        if b[0..<10].allSatisfy({ $0 == 0 }), b[10] == 0xff, b[11] == 0xff { return isPrivateV4(Array(b[12..<16])) }  // ::ffff:a.b.c.d
        if b[0] & 0xfe == 0xfc { return true }  // fc00::/7 unique local
        if b[0] == 0xfe, b[1] & 0xc0 == 0x80 { return true }  // fe80::/10 link-local
        if b[0] == 0xff { return true }  // multicast
        if b[0] == 0x20, b[1] == 0x01, b[2] == 0x0d, b[3] == 0xb8 { return true }  // documentation
        if b[0] == 0x00, b[1] == 0x64, b[2] == 0xff, b[3] == 0x9b { return isPrivateV4(Array(b[12..<16])) }  // NAT64
        return false
    }

    static func isPrivateV4(_ b: [UInt8]) -> Bool {
        switch (b[0], b[1]) {
        case (0, _), (10, _), (127, _): return true
        case (100, 64...127): return true  // shared address space
        case (169, 254): return true
        case (172, 16...31): return true
        case (192, 168): return true
        case (192, 0) where b[2] == 0 || b[2] == 2: return true
        case (198, 18...19): return true
        case (198, 51) where b[2] == 100, (203, 0) where b[2] == 113: return true
        case (224...255, _): return true
        default: return false
        }
    }
}
