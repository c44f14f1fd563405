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

    /// Asks the server who the key belongs to (`GET /v1/whoami`), for the prompt.
    public static func connect(url: String, key: String, client: HTTPClient, timeout: TimeAmount = .seconds(600)) async throws -> HTTPBackend {
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        let probe = HTTPBackend(url: base, key: key, tenant: "", client: client, timeout: timeout)
        let (status, body) = try await probe.send("GET", "/v1/whoami", body: nil)
        guard status == 200 else { throw ReplFailure.connection(Self.errorMessage(body) ?? "the server answered \(status)") }
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

    func send(_ method: String, _ path: String, body: Data?) async throws -> (Int, Data) {
        var request = HTTPClientRequest(url: url + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        do {
            let response = try await client.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: 256 << 20)
            return (Int(response.status.code), Data(buffer: bytes))
        } catch let error as ReplFailure {
            throw error
        } catch is CancellationError {
            throw ReplFailure.cancelled
        } catch {
            throw ReplFailure.connection("the server at \(url) could not be reached (\(error)); the REPL is still here, try again")
        }
    }

    static func errorMessage(_ data: Data) -> String? {
        ((try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["error"] as? [String: Any])?["message"] as? String
    }
}
