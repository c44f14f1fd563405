import Foundation
import PostgresNIO

/// A tenant's ingestion settings: identity kinds and trait source precedence.
public struct TenantIngestSettings: Sendable, Equatable {
    public var rules: IdentityRules
    /// Source names, highest precedence first; sources not listed rank below all listed ones.
    public var sourcePrecedence: [String]

    public static let defaults = TenantIngestSettings(rules: .defaults, sourcePrecedence: [])

    /// The rank of `source` (lower wins).
    func rank(_ source: String?) -> Int {
        source.flatMap { sourcePrecedence.firstIndex(of: $0) } ?? sourcePrecedence.count
    }
}

extension Store {
    /// Reads the settings inside a tenant transaction (the defaults where none are saved).
    static func ingestSettings(on connection: PostgresConnection, logger: Logger) async throws -> TenantIngestSettings {
        var kinds: [IdentityKind] = []
        let rows = try await connection.query(
            "SELECT kind, priority, max_per_profile, blocked, normalization FROM identity_kinds", logger: logger)
        for try await (kind, priority, limit, blocked, normalization) in rows.decode((String, Int, Int, [String], String).self) {
            kinds.append(IdentityKind(name: kind, priority: priority, limit: limit, blocked: blocked,
                                      normalization: Normalization(rawValue: normalization) ?? .trim))
        }
        var precedence: [String] = []
        let settings = try await connection.query("SELECT value::text FROM settings WHERE key = 'source_precedence'", logger: logger)
        for try await text in settings.decode(String.self) {
            if case .array(let items)? = try? JSONParser.parse(Array(text.utf8)) { precedence = items.compactMap(\.stringValue) }
        }
        return TenantIngestSettings(rules: kinds.isEmpty ? .defaults : IdentityRules(kinds: kinds), sourcePrecedence: precedence)
    }

    /// The tenant's settings.
    public func ingestSettings(tenant: Tenant) async throws -> TenantIngestSettings {
        try await withTenant(tenant, readOnly: true) { try await Self.ingestSettings(on: $0, logger: logger) }
    }

    /// Replaces the tenant's identity kinds. The four built-in kinds must stay (their limits and
    /// priorities may change); more may be added.
    public func setIdentityKinds(_ kinds: [IdentityKind], tenant: Tenant, actor: String) async throws {
        for required in ["user_id", "anonymous_id"] where !kinds.contains(where: { $0.name == required }) {
            throw StoreError.invalidInput("The identity kind `\(required)` cannot be removed.")
        }
        for kind in kinds {
            guard Tenant.isValidSlug(kind.name) else {
                throw StoreError.invalidInput("`\(kind.name)` is not a valid identity kind name: use lowercase letters, digits and underscores.")
            }
            guard (1...1_000_000).contains(kind.priority), (1...1_000_000).contains(kind.limit) else {
                throw StoreError.invalidInput("The identity kind `\(kind.name)` needs a priority and a limit from 1 to 1,000,000.")
            }
        }
        guard Set(kinds.map(\.name)).count == kinds.count else { throw StoreError.invalidInput("An identity kind is listed twice.") }
        guard kinds.count <= 50 else { throw StoreError.invalidInput("A tenant may have at most 50 identity kinds.") }
        for kind in kinds {
            guard kind.blocked.count <= 1_000 else {
                throw StoreError.invalidInput("The identity kind `\(kind.name)` may block at most 1,000 values.")
            }
            for value in kind.blocked { try StoreError.checkText(value, "A blocked value of `\(kind.name)`", maxCharacters: 200) }
        }
        try await withTenant(tenant) { connection in
            try await connection.query("DELETE FROM identity_kinds", logger: logger)
            for kind in kinds {
                try await connection.query("""
                    INSERT INTO identity_kinds (kind, priority, max_per_profile, blocked, normalization)
                    VALUES (\(kind.name), \(kind.priority), \(kind.limit), \(kind.blocked), \(kind.normalization.rawValue))
                    """, logger: logger)
            }
        }
        try await withTransaction { connection in
            try await audit(tenant: tenant, actor: actor, action: "identity.config",
                            details: ["kinds": kinds.map(\.name).joined(separator: ",")], on: connection)
        }
    }

    /// Sets which sources' traits win, highest first.
    public func setSourcePrecedence(_ sources: [String], tenant: Tenant) async throws {
        guard sources.count <= 100 else { throw StoreError.invalidInput("The source precedence may list at most 100 sources.") }
        for source in sources { try StoreError.checkText(source, "A source name", maxCharacters: 100) }
        let json = JSONValue.array(sources.map(JSONValue.string)).jsonText
        try await withTenant(tenant) { connection in
            try await connection.query("""
                INSERT INTO settings (key, value) VALUES ('source_precedence', \(json)::jsonb)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """, logger: logger)
        }
    }
}
