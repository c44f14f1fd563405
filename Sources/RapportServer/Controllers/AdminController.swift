import Hummingbird
import RapportStore

/// The operator API under `/admin/v1`: tenants and their keys, for SaaS operators
/// provisioning customers. Authorised by ``AdminAuthMiddleware``.
struct AdminController {
    let store: Store

    struct NewTenant: Decodable {
        var slug: String
        var name: String?
    }

    struct TenantList: ResponseEncodable {
        var tenants: [Tenant]
    }

    func addRoutes(to group: RouterGroup<RapportRequestContext>) {
        group.post("tenants") { request, context in
            let body = try await request.decode(as: NewTenant.self, context: context)
            let tenant = try await store.createTenant(slug: body.slug, name: body.name, actor: "operator")
            return EditedResponse(status: .created, response: tenant)
        }
        group.get("tenants") { _, _ in TenantList(tenants: try await store.listTenants()) }
        group.get("tenants/{slug}") { _, context in
            let slug = try context.parameters.require("slug")
            guard let tenant = try await store.tenant(slug: slug) else { throw StoreError.tenantNotFound(slug) }
            return tenant
        }
        group.delete("tenants/{slug}") { _, context in
            try await store.deleteTenant(slug: try context.parameters.require("slug"), actor: "operator")
            return Response(status: .noContent)
        }
        IdentityConfigController(store: store).addRoutes(to: group.group("tenants/{slug}"), tenant: { context in
            let slug = try context.parameters.require("slug")
            guard let tenant = try await store.tenant(slug: slug) else { throw StoreError.tenantNotFound(slug) }
            return tenant
        }, actor: { _ in "operator" })
        KeysController.addKeyRoutes(to: group.group("tenants/{slug}"), store: store, actor: { _ in "operator" }) { context in
            try context.parameters.require("slug")
        }
    }
}

extension Tenant: ResponseEncodable {}
