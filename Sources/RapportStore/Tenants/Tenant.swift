import Foundation

/// A customer of the Rapport installation, with its own schema and role.
public struct Tenant: Sendable, Codable, Equatable {
    public var id: Int64
    /// Lowercase letters, digits and underscores, starting with a letter, at most 40 characters.
    public var slug: String
    /// The display name.
    public var name: String
    public var createdAt: Date

    public init(id: Int64, slug: String, name: String, createdAt: Date) {
        self.id = id
        self.slug = slug
        self.name = name
        self.createdAt = createdAt
    }

    /// The tenant's schema, `t_<slug>`.
    public var schema: String { "t_" + slug }
    /// The role that owns the schema and that every tenant transaction runs as.
    public var role: String { "t_" + slug }

    /// Whether `slug` may name a tenant.
    public static func isValidSlug(_ slug: String) -> Bool {
        guard let first = slug.unicodeScalars.first, ("a"..."z").contains(first), slug.unicodeScalars.count <= 40 else { return false }
        return slug.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    enum CodingKeys: String, CodingKey {
        case id, slug, name
        case createdAt = "created_at"
    }
}

/// How far a tenant's creation or deletion got (``Store/createTenant(slug:name:actor:)``).
public enum TenantState: String, Sendable, Codable {
    /// Its role and schema exist; its migrations may not all have run. It has no keys.
    case creating
    /// In use.
    case ready
    /// Its keys and schema are gone; its role and row may remain.
    case deleting
}
