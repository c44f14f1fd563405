import Hummingbird
import RapportStore

/// The tenant's own key routes under `/v1` (the `admin` scope manages keys; any key may ask
/// who it is), and the key routes shared with the operator API.
struct KeysController {
    let store: Store

    struct NewKey: Decodable {
        var scopes: [String]
        var source: String?
        var name: String?
    }

    struct KeyList: ResponseEncodable {
        var keys: [APIKeyInfo]
    }

    struct WhoAmI: ResponseEncodable {
        var tenant: String
        var keyID: String
        var scopes: [Scope]
        var source: String?

        enum CodingKeys: String, CodingKey {
            case tenant, scopes, source
            case keyID = "key_id"
        }
    }

    func addRoutes(to group: RouterGroup<RapportRequestContext>) {
        group.get("whoami") { _, context in
            guard let key = context.key else { throw APIError.unauthenticated }
            return WhoAmI(tenant: key.tenant.slug, keyID: key.id, scopes: key.scopes.sorted(), source: key.source)
        }
        let admin = group.group()
        Self.addKeyRoutes(to: admin, store: store, actor: { context in "key:" + (try context.require(.admin)).id }) { context in
            try context.require(.admin).tenant.slug
        }
    }

    /// `POST keys`, `GET keys`, `DELETE keys/{id}` on `group`, for the tenant that `tenant(context)` names.
    static func addKeyRoutes(
        to group: RouterGroup<RapportRequestContext>, store: Store,
        actor: @escaping @Sendable (RapportRequestContext) throws -> String,
        tenant: @escaping @Sendable (RapportRequestContext) throws -> String
    ) {
        group.post("keys") { request, context in
            let slug = try tenant(context)
            let body = try await request.decode(as: NewKey.self, context: context)
            let created = try await store.createKey(
                tenant: slug, scopes: try Scope.parse(body.scopes), source: body.source, name: body.name, actor: try actor(context))
            return EditedResponse(status: .created, response: created)
        }
        group.get("keys") { _, context in KeyList(keys: try await store.listKeys(tenant: try tenant(context))) }
        group.delete("keys/{id}") { _, context in
            let slug = try tenant(context)
            try await store.revokeKey(tenant: slug, id: try context.parameters.require("id"), actor: try actor(context))
            return Response(status: .noContent)
        }
    }
}

extension CreatedKey: ResponseEncodable {}
extension APIKeyInfo: ResponseEncodable {}
