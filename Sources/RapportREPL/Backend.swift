import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import RapportQL
import RapportStore

/// Where the REPL's statements run: a Rapport server over HTTP, or the database directly.
public protocol ReplBackend: Sendable {
    /// The tenant the prompt shows.
    var tenant: String { get }
    /// Runs one statement; `id` names the run so that ``cancel(_:)`` can stop it.
    func run(_ statement: String, id: String) async throws -> QueryResult
    func cancel(_ id: String) async
    func catalog() async throws -> CompletionCatalog
    /// The live profile `reference` names (an id, or `kind:value`), nil when none does.
    func profile(_ reference: ProfileReference) async throws -> Profile?
}

/// What `\profile` names: a profile id, or an identifier of a kind.
public enum ProfileReference: Equatable, Sendable {
    case id(Int64)
    case identifier(kind: String, value: String)

    public init?(_ text: String) {
        if let id = Int64(text) {
            self = .id(id)
        } else if let colon = text.firstIndex(of: ":"), colon != text.startIndex, text.index(after: colon) != text.endIndex {
            self = .identifier(kind: String(text[..<colon]), value: String(text[text.index(after: colon)...]))
        } else {
            return nil
        }
    }
}

/// Why a statement gave no result, as the REPL prints it.
public enum ReplFailure: Error, Equatable, CustomStringConvertible {
    /// The server's or compiler's problems, rendered with the line and a caret.
    case rejected(String)
    /// The server or database could not be reached: the REPL stays usable.
    case connection(String)
    case cancelled

    public var description: String {
        switch self {
        case .rejected(let text): text
        case .connection(let text): "error: " + text
        case .cancelled: "cancelled"
        }
    }
}

/// `rapport repl --tenant acme`: statements run on the database through the store.
public struct StoreBackend: ReplBackend {
    public let store: Store
    public let tenantRecord: Tenant
    public let options: QueryOptions
    public var tenant: String { tenantRecord.slug }

    public init(store: Store, tenant: Tenant, options: QueryOptions = QueryOptions()) {
        self.store = store
        self.tenantRecord = tenant
        self.options = options
    }

    public func run(_ statement: String, id: String) async throws -> QueryResult {
        var options = options
        options.id = id
        do {
            guard let result = try await store.query(statement, tenant: tenantRecord, options: options).last else {
                throw ReplFailure.rejected("error: nothing to run")
            }
            return result
        } catch QueryError.cancelled {
            throw ReplFailure.cancelled
        } catch let error as QueryError {
            throw ReplFailure.rejected(error.description.hasPrefix("error") ? error.description : "error: " + error.description)
        } catch let error as ReplFailure {
            throw error
        } catch {
            throw ReplFailure.connection("the database did not answer (\(error)); try again")
        }
    }

    public func cancel(_ id: String) async {
        _ = try? await store.cancelQuery(id, tenant: tenantRecord)
    }

    public func catalog() async throws -> CompletionCatalog {
        CompletionCatalog(try await store.catalog(tenant: tenantRecord))
    }

    public func profile(_ reference: ProfileReference) async throws -> Profile? {
        var id: Int64
        switch reference {
        case .id(let number): id = number
        case .identifier(let kind, let value):
            do {
                guard let found = try await store.lookupProfile(kind: kind, value: value, tenant: tenantRecord) else { return nil }
                id = found
            } catch let error as StoreError {
                throw ReplFailure.rejected("error: \(error)")
            }
        }
        // A merged-away id stands for the profile it was merged into.
        for _ in 0..<8 {
            switch try await store.profile(id, tenant: tenantRecord) {
            case .found(let profile): return profile
            case .merged(let survivor): id = survivor
            case .missing: return nil
            }
        }
        return nil
    }
}

/// `rapport repl --url http://host:8080 --key KEY`: statements go to `POST /v1/query`.
public struct HTTPBackend: ReplBackend {
    public let url: String
    public let key: String
    public let tenant: String
    let client: HTTPClient
    let timeout: TimeAmount

    /// A lost server is reported at once (a refused connection is not retried until the
    /// query's deadline), within 5 s when the host does not answer at all.
    public static var clientConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        return configuration
    }

    /// What is wrong with `url` as a server's address (nil when nothing is): it needs
    /// `http://` or `https://` and a host.
    public static func problem(with url: String) -> String? {
        let parsed = URLComponents(string: url)
        let scheme = parsed?.scheme?.lowercased()
        if scheme == "http" || scheme == "https" {
            return parsed?.host?.isEmpty == false ? nil : "--url \(url) names no host: give it as http://HOST:PORT"
        }
        let bare = url.contains("://") ? String(url[url.range(of: "://")!.upperBound...]) : url
        return "--url \(url) needs http:// or https:// in front (did you mean http://\(bare)?)"
    }

    /// Asks the server who the key belongs to (`GET /v1/whoami`), for the prompt. Every
    /// failure is one sentence saying what went wrong and what to do.
    public static func connect(url: String, key: String, client: HTTPClient, timeout: TimeAmount = .seconds(600)) async throws -> HTTPBackend {
        if let problem = problem(with: url) { throw ReplFailure.connection(problem) }
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        // The first question gets 10 s: something that accepts and never answers is not a server.
        let probe = HTTPBackend(url: base, key: key, tenant: "", client: client, timeout: min(timeout, .seconds(10)))
        let status: Int, body: Data
        do {
            (status, body) = try await probe.request("GET", "/v1/whoami", body: nil)
        } catch {
            throw ReplFailure.connection(Unreachable(error).sentence(base, starting: true))
        }
        switch status {
        case 200: break
        case 401, 403:
            throw ReplFailure.connection("the server at \(base) refused the key (\(status)): check --key or $RAPPORT_KEY (`rapport keys create --tenant T --scopes query` makes one)")
        case 404:
            throw ReplFailure.connection("\(base) answered 404 to /v1/whoami: is it a Rapport server? (the REPL wants the server's own address, such as http://localhost:8080)")
        default:
            throw ReplFailure.connection("the server at \(base) answered \(status) to /v1/whoami" + (Self.errorMessage(body).map { ": \($0)" } ?? ""))
        }
        let who = try? JSONSerialization.jsonObject(with: body) as? [String: Any]
        let tenant = (who?["tenant"] as? String) ?? ((who?["tenant"] as? [String: Any])?["slug"] as? String) ?? "?"
        return HTTPBackend(url: base, key: key, tenant: tenant, client: client, timeout: timeout)
    }

    public func run(_ statement: String, id: String) async throws -> QueryResult {
        let body = try JSONSerialization.data(withJSONObject: ["q": statement, "id": id])
        let (status, data) = try await send("POST", "/v1/query", body: body)
        guard status == 200 else {
            let error = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["error"] as? [String: Any]
            if error?["code"] as? String == "query-cancelled" { throw ReplFailure.cancelled }
            if let diagnostics = error?["diagnostics"] as? [[String: Any]], !diagnostics.isEmpty {
                throw ReplFailure.rejected(diagnostics.compactMap { $0["rendered"] as? String }.joined(separator: "\n\n"))
            }
            throw ReplFailure.rejected("error: " + (Self.errorMessage(data) ?? "the server answered \(status)"))
        }
        do {
            return try JSONDecoder().decode(QueryResult.self, from: data)
        } catch {
            throw ReplFailure.connection("the server's answer could not be read (\(error))")
        }
    }

    public func cancel(_ id: String) async {
        let body = try? JSONSerialization.data(withJSONObject: ["id": id])
        _ = try? await send("POST", "/v1/query/cancel", body: body)
    }

    public func catalog() async throws -> CompletionCatalog {
        let (status, data) = try await send("GET", "/v1/catalog", body: nil)
        guard status == 200, let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ReplFailure.connection(Self.errorMessage(data) ?? "the catalogue could not be read (\(status))")
        }
        func list(_ key: String) -> [String] { object[key] as? [String] ?? [] }
        return CompletionCatalog(traits: list("traits"), events: list("events"),
                                 properties: object["properties"] as? [String: [String]] ?? [:], identityKinds: list("identity_kinds"),
                                 segments: list("segments"), metrics: list("metrics"), funnels: list("funnels"))
    }

    public func profile(_ reference: ProfileReference) async throws -> Profile? {
        let path: String
        switch reference {
        case .id(let id): path = "/v1/profiles/\(id)"
        case .identifier(let kind, let value):
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            func encoded(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text }
            path = "/v1/profiles/lookup?\(encoded(kind))=\(encoded(value))"
        }
        let (status, data) = try await send("GET", path, body: nil)
        if status == 404 { return nil }
        guard status == 200 else { throw ReplFailure.rejected("error: " + (Self.errorMessage(data) ?? "the server answered \(status)")) }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(Profile.self, from: data)
        } catch {
            throw ReplFailure.connection("the server's profile could not be read (\(error))")
        }
    }

    /// ``request(_:_:body:)``, with a lost server as a `ReplFailure.connection` that says the
    /// REPL is still usable.
    func send(_ method: String, _ path: String, body: Data?) async throws -> (Int, Data) {
        do {
            return try await request(method, path, body: body)
        } catch let error as ReplFailure {
            throw error
        } catch is CancellationError {
            throw ReplFailure.cancelled
        } catch {
            var cause = Unreachable(error)
            if cause == .closed || cause.isOther {
                // A pooled connection closed under the request says little: a server that stopped
                // closes its connections too. One short look on a fresh connection tells which.
                let look = HTTPBackend(url: url, key: key, tenant: tenant, client: client, timeout: .seconds(3))
                do { _ = try await look.request("GET", "/v1/whoami", body: nil) } catch {
                    if Unreachable(error) == .refused { cause = .refused }
                }
            }
            throw ReplFailure.connection(cause.sentence(url, starting: false))
        }
    }

    func request(_ method: String, _ path: String, body: Data?) async throws -> (Int, Data) {
        var request = HTTPClientRequest(url: url + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        let response = try await client.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 256 << 20)
        return (Int(response.status.code), Data(buffer: bytes))
    }

    static func errorMessage(_ data: Data) -> String? {
        ((try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["error"] as? [String: Any])?["message"] as? String
    }
}

/// Why a server could not be reached, read from the HTTP client's error, for one sentence
/// that says what to do. The NIO errors behind it are several types deep, so the cause is
/// read from their reflection (errno names and TLS reasons), with a plain fallback.
enum Unreachable: Equatable {
    case refused, unknownHost, noAnswer, closed, notHTTP
    case tls(String)
    case other(String)

    init(_ error: any Error) {
        switch error as? HTTPClientError {
        case .connectTimeout?, .readTimeout?, .deadlineExceeded?: self = .noAnswer; return
        case .remoteConnectionClosed?: self = .closed; return
        default: break
        }
        let text = String(reflecting: error)
        if text.contains("HTTPParserError") {
            self = .notHTTP
        } else if text.contains("Connection refused") || text.contains("ECONNREFUSED") {
            self = .refused
        } else if text.contains("SocketAddressError.unknown") || text.contains("dnsAError") || text.contains("Name or service not known") {
            self = .unknownHost
        } else if text.contains("connectTimeout") || text.contains("timed out") {
            self = .noAnswer
        } else if text.contains("WRONG_VERSION_NUMBER") || text.contains("PACKET_LENGTH_TOO_LONG") {
            self = .tls("it does not speak TLS: use http://")
        } else if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate") {
            self = .tls("its certificate was not accepted")
        } else if text.contains("SSL") || text.contains("TLS") || text.contains("handshake") {
            self = .tls("the TLS handshake failed")
        } else if text.contains("remoteConnectionClosed") || text.contains("ioOnClosedChannel") || text.contains("I/O on closed channel") {
            self = .closed
        } else {
            self = .other("\(error)")
        }
    }

    var isOther: Bool { if case .other = self { true } else { false } }

    /// The sentence for `url`; `starting` when the REPL has not reached it yet (it then stops),
    /// else the REPL says it stays.
    func sentence(_ url: String, starting: Bool) -> String {
        let host = URLComponents(string: url)?.host ?? url
        let what: String
        switch self {
        case .refused:
            what = starting
                ? "nothing answers at \(url): is the server running? (scripts/demo or rapport serve starts it; check the port)"
                : "the server at \(url) stopped answering (nothing listens there now)"
        case .unknownHost: what = "the host \(host) in \(url) is not known: check the address"
        case .noAnswer: what = "\(url) did not answer in time: check the address, the port and any firewall"
        case .notHTTP: what = "\(url) answered, but not in HTTP: is it the right port?"
        case .closed:
            what = starting
                ? "\(url) closed the connection without an HTTP answer: if it serves https, use https://"
                : "the server at \(url) closed the connection"
        case .tls(let reason): what = "TLS to \(url) failed: \(reason)"
        case .other(let cause): what = "\(url) could not be reached (\(cause))"
        }
        return starting ? what : what + "; the REPL is still here: run the statement again once it is back"
    }
}
