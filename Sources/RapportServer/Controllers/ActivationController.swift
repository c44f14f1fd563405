import Foundation
import Hummingbird
import RapportStore

/// Destinations and syncs (issue 17), all under the `admin` scope: `/v1/destinations…` and
/// `/v1/syncs…`. Syncs are saved and dropped in RQL (`POST /v1/query`, which asks for the
/// `admin` scope for those statements); here they are listed, read and run.
struct ActivationController {
    let store: Store
    let settings: ActivationSettings
    let worker: ActivationWorker?

    struct NewDestination: Decodable {
        var name: String
        var kind: String
        var url: String
        var writeKey: String?
        var settings: DestinationSettings?

        enum CodingKeys: String, CodingKey {
            case name, kind, url, settings
            case writeKey = "write_key"
        }
    }

    struct DestinationChange: Decodable {
        var settings: DestinationSettings?
        var paused: Bool?
    }

    struct Replay: Decodable {
        var ids: [Int64]?
    }

    struct Destinations: ResponseEncodable { var destinations: [DestinationInfo] }
    struct Syncs: ResponseEncodable { var syncs: [SyncInfo] }
    struct DeadLetters: ResponseEncodable {
        var deadLetters: [DeadLetter]
        enum CodingKeys: String, CodingKey { case deadLetters = "dead_letters" }
    }
    struct Replayed: ResponseEncodable { var replayed: Int64 }

    func addRoutes(to group: RouterGroup<RapportRequestContext>) {
        group.post("destinations") { request, context in
            let key = try context.require(.admin)
            let body = try await Self.decode(NewDestination.self, request, context,
                                             shape: #"{"name": "crm", "kind": "webhook", "url": "https://…", "settings": {…}}"#)
            guard let kind = DestinationInfo.Kind(rawValue: body.kind) else {
                throw APIError(.badRequest, code: "invalid-request", message: "The kind `\(body.kind)` is unknown: it is `webhook` or `segment`.")
            }
            let created = try await store.addDestination(
                name: body.name, kind: kind, url: body.url, writeKey: body.writeKey, settings: body.settings ?? DestinationSettings(),
                allowPrivate: settings.allowPrivate, tenant: key.tenant, actor: "key:" + key.id)
            return EditedResponse(status: .created, response: created)
        }
        group.get("destinations") { _, context in
            let key = try context.require(.admin)
            return Destinations(destinations: try await store.destinations(tenant: key.tenant))
        }
        group.get("destinations/{name}") { _, context in
            let key = try context.require(.admin)
            return try await store.destinationStatus(try context.parameters.require("name"), tenant: key.tenant)
        }
        group.patch("destinations/{name}") { request, context in
            let key = try context.require(.admin)
            let body = try await Self.decode(DestinationChange.self, request, context, shape: #"{"settings": {…}, "paused": false}"#)
            let info = try await store.updateDestination(try context.parameters.require("name"), settings: body.settings, paused: body.paused,
                                                         tenant: key.tenant, actor: "key:" + key.id)
            worker?.wake()
            return info
        }
        group.delete("destinations/{name}") { _, context in
            let key = try context.require(.admin)
            try await store.removeDestination(try context.parameters.require("name"), tenant: key.tenant, actor: "key:" + key.id)
            return Response(status: .noContent)
        }
        group.get("destinations/{name}/dead-letters") { request, context in
            let key = try context.require(.admin)
            let name = try context.parameters.require("name")
            _ = try await store.destination(name, tenant: key.tenant)
            let limit = request.uri.queryParameters.get("limit").flatMap(Int.init) ?? 100
            return DeadLetters(deadLetters: try await store.deadLetters(destination: name, tenant: key.tenant, limit: limit))
        }
        group.post("destinations/{name}/dead-letters/replay") { request, context in
            let key = try context.require(.admin)
            let name = try context.parameters.require("name")
            _ = try await store.destination(name, tenant: key.tenant)
            let body = request.head.headerFields[.contentLength] == "0"
                ? Replay() : try await Self.decode(Replay.self, request, context, shape: #"{"ids": [1, 2]} or {} for all"#)
            let replayed = try await store.replayDeadLetters(destination: name, ids: body.ids, tenant: key.tenant, actor: "key:" + key.id)
            worker?.wake()
            return Replayed(replayed: replayed)
        }
        group.get("syncs") { _, context in
            let key = try context.require(.admin)
            return Syncs(syncs: try await store.syncs(tenant: key.tenant))
        }
        group.get("syncs/{name}") { _, context in
            let key = try context.require(.admin)
            return try await store.sync(try context.parameters.require("name"), tenant: key.tenant)
        }
        group.post("syncs/{name}/run") { _, context in
            let key = try context.require(.admin)
            let run = try await store.runSync(try context.parameters.require("name"), tenant: key.tenant)
            ActivationWorker.count(run, tenant: key.tenant)
            worker?.wake()
            return run
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: RapportRequestContext, shape: String) async throws -> T {
        do {
            return try await request.decode(as: type, context: context)
        } catch let error as APIError where error.status == .contentTooLarge || error.code == "invalid-json" {
            throw error
        } catch let error as DecodingError {
            throw APIError(.badRequest, code: "invalid-request", message: "The body does not have the expected shape (\(Self.describe(error))); send \(shape).")
        } catch {
            throw APIError(.badRequest, code: "invalid-request", message: "The body does not have the expected shape; send \(shape).")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "the body" : "`" + keys.joined(separator: ".") + "`"
        }
        switch error {
        case .keyNotFound(let key, let context): return "`\(([path(context)] + [key.stringValue]).filter { $0 != "the body" }.joined(separator: ".").replacingOccurrences(of: "`", with: ""))` is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(path(context)) has the wrong type"
        case .dataCorrupted(let context): return "\(path(context)) is not valid"
        @unknown default: return "it is not valid"
        }
    }
}

extension CreatedDestination: ResponseEncodable {}
extension DestinationInfo: ResponseEncodable {}
extension DestinationStatus: ResponseEncodable {}
extension SyncInfo: ResponseEncodable {}
extension SyncRun: ResponseEncodable {}

extension APIError {
    init(syncError: SyncError) {
        switch syncError {
        case .notFound: self = APIError(.notFound, code: "sync-not-found", message: syncError.description)
        case .broken: self = APIError(.unprocessableContent, code: "sync-broken", message: syncError.description)
        case .busy: self = APIError(.conflict, code: "sync-busy", message: syncError.description)
        }
    }
}
