import Hummingbird
import RapportStore

/// A tenant's identity resolution settings, for operators (`/admin/v1/tenants/{slug}/identity`)
/// and for the tenant's own admin keys (`/v1/identity`).
struct IdentityConfigController {
    let store: Store

    struct Settings: ResponseEncodable, Decodable {
        var kinds: [IdentityKind]?
        var sourcePrecedence: [String]?

        enum CodingKeys: String, CodingKey {
            case kinds
            case sourcePrecedence = "source_precedence"
        }
    }

    func addRoutes(to group: RouterGroup<RapportRequestContext>, tenant: @escaping @Sendable (RapportRequestContext) async throws -> Tenant,
                   actor: @escaping @Sendable (RapportRequestContext) throws -> String) {
        group.get("identity") { _, context in
            let settings = try await store.ingestSettings(tenant: try await tenant(context))
            return Settings(kinds: settings.rules.kinds, sourcePrecedence: settings.sourcePrecedence)
        }
        group.put("identity") { request, context in
            let tenant = try await tenant(context)
            let body = try await request.decode(as: Settings.self, context: context)
            if let kinds = body.kinds { try await store.setIdentityKinds(kinds, tenant: tenant, actor: try actor(context)) }
            if let precedence = body.sourcePrecedence { try await store.setSourcePrecedence(precedence, tenant: tenant) }
            let settings = try await store.ingestSettings(tenant: tenant)
            return Settings(kinds: settings.rules.kinds, sourcePrecedence: settings.sourcePrecedence)
        }
    }
}
