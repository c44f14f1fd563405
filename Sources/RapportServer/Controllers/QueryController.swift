import Foundation
import Hummingbird
import RapportQL
import RapportStore

/// RQL over HTTP (scope `query`): `POST /v1/query` runs a script, `POST /v1/query/validate`
/// only checks it (for editors), and `/v1/segments…` lists saved segments, their sizes and
/// their members page by page.
struct QueryController {
    let store: Store
    let options: QueryOptions

    struct QueryRequest: Decodable {
        var q: String
        /// A name for the run, by which `POST /v1/query/cancel` can cancel it.
        var id: String?
    }

    struct CancelRequest: Decodable {
        var id: String
    }

    struct Cancelled: ResponseEncodable {
        var id: String
        var cancelled: Bool
    }

    /// The names a client can complete (the REPL's tab completion): traits, events and their
    /// properties, identity kinds, saved segments, metrics and funnels.
    struct CatalogBody: ResponseEncodable {
        var traits: [String]
        var events: [String]
        var properties: [String: [String]]
        var identityKinds: [String]
        var segments: [String]
        var metrics: [String]
        var funnels: [String]
        /// The tenant's destinations and syncs by name (what `sync NAME to DEST`, `describe`
        /// and `drop sync` complete); their settings are the admin scope's.
        var destinations: [String]
        var syncs: [String]

        enum CodingKeys: String, CodingKey {
            case traits, events, properties, segments, metrics, funnels, destinations, syncs
            case identityKinds = "identity_kinds"
        }
    }

    struct Validation: ResponseEncodable {
        var valid: Bool
        var diagnostics: [DiagnosticBody]
    }

    struct ArrivedEvents: ResponseEncodable {
        var events: [ArrivedEvent]
        /// Too many events arrived in the window to sort them in 3 s: none are listed.
        var busy: Bool
    }

    struct Segments: ResponseEncodable {
        var segments: [SegmentInfo]
    }

    struct Members: ResponseEncodable {
        var columns: [ResultColumn]
        var rows: [[QueryValue]]
        var nextCursor: String?

        enum CodingKeys: String, CodingKey {
            case columns, rows
            case nextCursor = "next_cursor"
        }
    }

    /// The last statement's result; `statements` counts those that ran.
    struct QueryResponse: ResponseEncodable {
        var result: QueryResult
        var statements: Int

        func encode(to encoder: any Encoder) throws {
            try result.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(statements, forKey: .statements)
        }

        enum Key: String, CodingKey { case statements }
    }

    func addRoutes(to group: RouterGroup<RapportRequestContext>) {
        group.post("query") { request, context in
            let key = try context.require(.query)
            let body = try await queryRequest(request, context: context)
            // A sync sends the tenant's data out: saving or dropping one takes the admin scope too.
            if RQL.parse(body.q).script.statements.contains(where: \.managesSync) { _ = try context.require(.admin) }
            var options = options
            options.id = body.id
            let results = try await store.query(body.q, tenant: key.tenant, options: options)
            guard let last = results.last else {
                throw APIError(.badRequest, code: "invalid-query", message: "The query is empty: send at least one statement in `q`.")
            }
            return QueryResponse(result: last, statements: results.count)
        }
        group.post("query/cancel") { request, context in
            let key = try context.require(.query)
            let body: CancelRequest
            do {
                body = try await request.decode(as: CancelRequest.self, context: context)
            } catch let error as APIError where error.status == .contentTooLarge || error.code == "invalid-json" {
                throw error
            } catch {
                throw APIError(.badRequest, code: "invalid-request", message: "Send the `id` the query was sent with: {\"id\": \"…\"}.")
            }
            try Self.checkID(body.id)
            return Cancelled(id: body.id, cancelled: try await store.cancelQuery(body.id, tenant: key.tenant))
        }
        group.get("catalog") { _, context in
            let key = try context.require(.query)
            let catalog = try await store.catalog(tenant: key.tenant)
            return CatalogBody(traits: catalog.traitNames, events: catalog.eventNames, properties: catalog.propertyNamesByEvent,
                               identityKinds: catalog.identityKinds.map(\.name), segments: catalog.definitionNames(.segment),
                               metrics: catalog.definitionNames(.metric), funnels: catalog.definitionNames(.funnel),
                               destinations: catalog.destinationNames, syncs: catalog.syncNames)
        }
        // Where the per-profile summaries stand: while a rebuild runs, queries read the raw
        // events (the same answers, slower); this says how far it has come.
        group.get("summaries") { _, context in
            let key = try context.require(.query)
            return try await store.summaryStatus(tenant: key.tenant)
        }
        // The newest events to arrive (the console's live view of the data).
        group.get("events") { request, context in
            let key = try context.require(.query)
            let query = request.uri.queryParameters
            let since = try query["since"].map { text -> Date in
                let text = String(text)
                guard let date = (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
                        ?? (try? Date.ISO8601FormatStyle().parse(text)) else {
                    throw APIError(.badRequest, code: "invalid-request", message: "`since` must be a time such as 2026-12-07T10:00:00Z.")
                }
                return date
            }
            let limit = try query["limit"].map { text -> Int in
                guard let n = Int(text), (1...100).contains(n) else {
                    throw APIError(.badRequest, code: "invalid-request", message: "`limit` must be a whole number from 1 to 100.")
                }
                return n
            } ?? 50
            let (events, busy) = try await store.arrivedEvents(tenant: key.tenant, since: since, limit: limit)
            return ArrivedEvents(events: events, busy: busy)
        }
        group.post("query/validate") { request, context in
            let key = try context.require(.query)
            let text = try await queryText(request, context: context)
            let diagnostics = try await store.validate(text, tenant: key.tenant)
            return Validation(valid: !diagnostics.contains { $0.severity == .error },
                              diagnostics: DiagnosticBody.list(diagnostics, source: text))
        }
        group.get("segments") { _, context in
            let key = try context.require(.query)
            return Segments(segments: try await store.segments(tenant: key.tenant))
        }
        group.get("segments/{name}") { _, context in
            let key = try context.require(.query)
            let name = try context.parameters.require("name")
            guard let segment = try await store.segment(name, tenant: key.tenant, options: options) else { throw notFound(name) }
            return segment
        }
        group.get("segments/{name}/members") { request, context in
            let key = try context.require(.query)
            let name = try context.parameters.require("name")
            let query = request.uri.queryParameters
            let limit = try query["limit"].map { text -> Int in
                guard let n = Int(text), (1...1000).contains(n) else {
                    throw APIError(.badRequest, code: "invalid-request", message: "`limit` must be a whole number from 1 to 1000.")
                }
                return n
            } ?? 100
            let cursor = try query["cursor"].map { text -> Int64 in
                guard let id = Int64(text), id >= 0 else {
                    throw APIError(.badRequest, code: "invalid-request", message: "`cursor` must be the `next_cursor` of an earlier page.")
                }
                return id
            }
            guard try await store.segments(tenant: key.tenant).contains(where: { $0.name == name }) else { throw notFound(name) }
            let (page, next) = try await store.segmentMembers(name, tenant: key.tenant, after: cursor, limit: limit, options: options)
            return Members(columns: page.columns, rows: page.rows, nextCursor: next.map(String.init))
        }
    }

    func queryText(_ request: Request, context: RapportRequestContext) async throws -> String {
        try await queryRequest(request, context: context).q
    }

    func queryRequest(_ request: Request, context: RapportRequestContext) async throws -> QueryRequest {
        let body: QueryRequest
        do {
            body = try await request.decode(as: QueryRequest.self, context: context)
        } catch let error as APIError where error.status == .contentTooLarge || error.code == "invalid-json" {
            throw error
        } catch {
            throw APIError(.badRequest, code: "invalid-request", message: "Send a JSON object with the query in `q`: {\"q\": \"count profiles\"}.")
        }
        guard body.q.utf8.count <= 100_000 else {
            throw APIError(.contentTooLarge, code: "query-too-long", message: "A query may be at most 100,000 bytes long.")
        }
        if let id = body.id { try Self.checkID(id) }
        return body
    }

    /// A query's id is a short name: at most 200 bytes.
    static func checkID(_ id: String) throws {
        guard !id.isEmpty, id.utf8.count <= 200 else {
            throw APIError(.badRequest, code: "invalid-request", message: "A query's `id` has 1 to 200 bytes.")
        }
    }

    func notFound(_ name: String) -> APIError {
        APIError(.notFound, code: "segment-not-found", message: "There is no segment `\(name)`.")
    }
}

extension QueryResult: ResponseEncodable {}
extension SegmentInfo: ResponseEncodable {}

extension Statement {
    /// `sync …` or `drop sync …`.
    var managesSync: Bool {
        switch kind {
        case .sync: true
        case .drop(let what, _): what.text == "sync"
        default: false
        }
    }
}
extension SummaryStatus: ResponseEncodable {}
