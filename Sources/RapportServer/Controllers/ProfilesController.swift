import Foundation
import Hummingbird
import RapportStore

/// Profiles under `/v1/profiles` (scope `query`; unmerge needs `admin`). A merged-away id
/// answers 308 with the survivor's address.
struct ProfilesController {
    let store: Store

    func addRoutes(to group: RouterGroup<RapportRequestContext>) {
        group.get("profiles/lookup") { request, context in
            let key = try context.require(.query)
            let query = request.uri.queryParameters
            guard query.count == 1, let (kind, value) = query.first.map({ (String($0.key), String($0.value)) }) else {
                throw APIError(.badRequest, code: "invalid-request",
                               message: "Name exactly one identifier, such as /v1/profiles/lookup?email=ann@example.com.")
            }
            guard let id = try await store.lookupProfile(kind: kind, value: value, tenant: key.tenant) else {
                throw APIError(.notFound, code: "profile-not-found", message: "No profile holds that `\(kind)`.")
            }
            return try await found(id, tenant: key.tenant, suffix: "")
        }
        group.get("profiles/{id}") { _, context in
            let key = try context.require(.query)
            return try await found(try profileID(context), tenant: key.tenant, suffix: "")
        }
        group.get("profiles/{id}/identities") { _, context in
            let key = try context.require(.query)
            let id = try profileID(context)
            return try await live(id, tenant: key.tenant, suffix: "/identities") { profile in
                Identities(identities: profile.identities)
            }
        }
        group.get("profiles/{id}/traits") { _, context in
            let key = try context.require(.query)
            let id = try profileID(context)
            return try await live(id, tenant: key.tenant, suffix: "/traits") { profile in Traits(traits: profile.traits) }
        }
        group.get("profiles/{id}/events") { request, context in
            let key = try context.require(.query)
            let id = try profileID(context)
            let query = request.uri.queryParameters
            let limit = try query["limit"].map { text -> Int in
                guard let n = Int(text) else { throw APIError(.badRequest, code: "invalid-request", message: "`limit` must be a whole number.") }
                return n
            } ?? 100
            let cursor = query["cursor"].map(String.init)
            switch try await store.profile(id, tenant: key.tenant) {
            case .merged(let survivor): return redirect(to: survivor, suffix: "/events", query: request.uri.query)
            case .missing: throw notFound(id)
            case .found:
                return try await store.timeline(of: id, tenant: key.tenant, cursor: cursor, limit: limit).response(from: request, context: context)
            }
        }
        group.get("profiles/{id}/graph") { request, context in
            let key = try context.require(.query)
            let id = try profileID(context)
            switch try await store.profile(id, tenant: key.tenant) {
            case .merged(let survivor): return redirect(to: survivor, suffix: "/graph", query: nil)
            case .missing: throw notFound(id)
            case .found:
                return try await store.identityGraph(of: id, tenant: key.tenant).response(from: request, context: context)
            }
        }
        group.post("profiles/{id}/unmerge") { request, context in
            let key = try context.require(.admin)
            let body = try await request.decode(as: UnmergeRequest.self, context: context)
            return try await store.unmerge(survivor: try profileID(context), merged: body.mergedID, tenant: key.tenant, actor: "key:\(key.id)")
        }
    }

    struct UnmergeRequest: Decodable {
        var mergedID: Int64
        enum CodingKeys: String, CodingKey { case mergedID = "merged_id" }
    }

    struct Identities: ResponseEncodable { var identities: [IdentityRecord] }
    struct Traits: ResponseEncodable { var traits: [String: TraitValue] }

    func profileID(_ context: RapportRequestContext) throws -> Int64 {
        guard let id = Int64(try context.parameters.require("id")), id > 0 else {
            throw APIError(.badRequest, code: "invalid-request", message: "A profile id is a positive whole number.")
        }
        return id
    }

    func notFound(_ id: Int64) -> APIError {
        APIError(.notFound, code: "profile-not-found", message: "There is no profile \(id).")
    }

    func redirect(to survivor: Int64, suffix: String, query: String?) -> Response {
        let location = "/v1/profiles/\(survivor)\(suffix)" + (query.map { "?\($0)" } ?? "")
        return Response(status: .permanentRedirect, headers: [.location: location])
    }

    func found(_ id: Int64, tenant: Tenant, suffix: String) async throws -> Response {
        try await live(id, tenant: tenant, suffix: suffix) { $0 }
    }

    func live<T: ResponseEncodable>(_ id: Int64, tenant: Tenant, suffix: String, _ body: (Profile) -> T) async throws -> Response {
        switch try await store.profile(id, tenant: tenant) {
        case .merged(let survivor): return redirect(to: survivor, suffix: suffix, query: nil)
        case .missing: throw notFound(id)
        case .found(let profile): return try Self.json(body(profile))
        }
    }

    static func json<T: Encodable>(_ value: T) throws -> Response {
        JSONAnswer.response(try JSONAnswer.data(value))
    }
}

extension Profile: ResponseEncodable {}
extension TimelinePage: ResponseEncodable {}
extension IdentityGraph: ResponseEncodable {}
extension UnmergeResult: ResponseEncodable {}
