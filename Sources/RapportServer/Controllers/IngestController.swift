import CompressNIO
import Hummingbird
import Metrics
import NIOCore
import RapportStore

/// The Segment HTTP Tracking API: `/v1/identify|track|page|screen|group|alias` and
/// `/v1/batch` (also `/v1/import`). The write key comes as HTTP Basic user name, a bearer
/// token, or `writeKey` in the body, and needs the `ingest` scope. A 200 means committed.
struct IngestController {
    let store: Store
    let queue: IngestQueue
    /// Whether the message counters are also kept per tenant (`rapport_tenant_…{tenant=…}`,
    /// which names every tenant and its volume to whoever reads `/metrics`): the operator's
    /// choice, off by default.
    var tenantLabels = false
    /// Per-tenant counts for the console's Data page.
    var tally: IngestTally? = nil

    func addRoutes(to router: Router<RapportRequestContext>) {
        let group = router.group("v1")
        for type in MessageType.allCases {
            group.post(RouterPath(type.rawValue)) { request, context in
                try await ingest(request, context: context) { body, receivedAt in
                    let (message, writeKey) = try MessageReader.single(body, type: type, receivedAt: receivedAt)
                    return ([message], writeKey)
                }
            }
        }
        for path in ["batch", "import"] {
            group.post(RouterPath(path)) { request, context in
                try await ingest(request, context: context) { body, receivedAt in
                    try MessageReader.batch(body, receivedAt: receivedAt)
                }
            }
        }
    }

    struct Success: ResponseEncodable {
        var success = true
    }

    func ingest(
        _ request: Request, context: RapportRequestContext,
        read: ([UInt8], Int64) throws -> (messages: [IngestMessage], writeKey: String?)
    ) async throws -> Success {
        let receivedAt = Timestamp.now()
        // A key in the headers is checked before the body is read, so a caller without a
        // valid ingest key cannot make the server unpack and parse 500 KB.
        var key: AuthenticatedKey?
        if let header = KeyAuthMiddleware.credential(from: request) { key = try await authenticate(header) }
        let messages: [IngestMessage], writeKey: String?
        do {
            let body = try await Self.body(of: request)
            (messages, writeKey) = try read(body, receivedAt)
        } catch {
            if let key { tally?.rejected(tenant: key.tenant.id, reason: APIError(from: error, requestID: "").message) }
            throw error
        }
        if key == nil {
            guard let writeKey else { throw APIError.unauthenticated }
            key = try await authenticate(writeKey)
        }
        guard let key else { throw APIError.unauthenticated }
        let tagged = messages.map { message in
            var message = message
            message.source = key.source
            return message
        }
        let result: IngestResult
        do {
            result = try await queue.submit(tagged, tenant: key.tenant)
        } catch {
            let refusal = APIError(from: error, requestID: "")
            if refusal.status.code < 500 { tally?.rejected(tenant: key.tenant.id, reason: refusal.message) }
            throw error
        }
        tally?.accepted(result.accepted, tenant: key.tenant.id)
        // (Replays are counted by the queue, `rapport_duplicate_messages_total`.)
        Counter(label: "rapport_ingested_messages_total").increment(by: tagged.count)
        if tenantLabels {
            Counter(label: "rapport_tenant_ingested_messages_total", dimensions: [("tenant", key.tenant.slug)]).increment(by: tagged.count)
        }
        return Success()
    }

    /// The live key `presented`, which must hold the `ingest` scope.
    func authenticate(_ presented: String) async throws -> AuthenticatedKey {
        guard let key = try await store.authenticate(key: presented) else { throw APIError.invalidKey }
        guard key.scopes.contains(.ingest) else { throw APIError.missingScope(.ingest) }
        return key
    }

    /// The body, gunzipped if sent with `Content-Encoding: gzip`, refused past the batch limit.
    static func body(of request: Request) async throws -> [UInt8] {
        let limit = MessageReader.maxBatchBytes
        var buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit + 1)
        } catch is NIOTooManyBytesError {
            throw MessageError(reason: "the body is larger than \(limit) bytes (500 KB)")
        }
        guard buffer.readableBytes <= limit else { throw MessageError(reason: "the body is larger than \(limit) bytes (500 KB)") }
        switch request.headers[.contentEncoding]?.lowercased() {
        case nil, "identity":
            break
        case "gzip", "x-gzip":
            let packed = buffer.readableBytesView
            do {
                buffer = try buffer.decompress(with: .gzip(), maxSize: limit + 1)
            } catch {
                throw MessageError(reason: "the body is not valid gzip, or is larger than \(limit) bytes (500 KB) unpacked")
            }
            guard buffer.readableBytes <= limit else { throw MessageError(reason: "the body is larger than \(limit) bytes (500 KB) unpacked") }
            guard GzipCheck.matches(packed: packed, unpacked: buffer.readableBytesView) else {
                throw MessageError(reason: "the gzip body is cut short or has bytes after its end (its checksum or length does not match)")
            }
        case let other?:
            throw MessageError(reason: "the content encoding `\(other)` is not supported (use gzip or none)")
        }
        return Array(buffer.readableBytesView)
    }
}
