import Crypto
import Foundation
import PostgresNIO

extension Store {
    /// The most destinations one tenant may have.
    public static let maxDestinations = 100

    /// Adds a destination. A webhook's signing secret is made here; a segment destination's
    /// secret is its write key, given by the caller. Either is returned this once.
    public func addDestination(name: String, kind: DestinationInfo.Kind, url: String, writeKey: String?,
                               settings: DestinationSettings, allowPrivate: Bool, tenant: Tenant, actor: String) async throws -> CreatedDestination {
        guard Self.isDestinationName(name) else {
            throw StoreError.invalidInput("`\(name)` cannot name a destination: use 1 to 63 letters, digits and `_`, starting with a letter.")
        }
        if let problem = await DestinationAddress.problem(with: url, allowPrivate: allowPrivate) { throw StoreError.invalidInput(problem) }
        if let problem = settings.problem { throw StoreError.invalidInput(problem) }
        let secret: String
        switch kind {
        case .webhook:
            guard writeKey == nil else { throw StoreError.invalidInput("A webhook destination makes its own signing secret; give no write_key.") }
            secret = "whsec_" + SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.map { String(format: "%02x", $0) }.joined()
        case .segment:
            guard let writeKey, !writeKey.isEmpty, writeKey.utf8.count <= 512, !writeKey.contains(where: \.isNewline) else {
                throw StoreError.invalidInput("A segment destination needs the receiver's write_key (1 to 512 characters).")
            }
            secret = writeKey
        }
        let settingsJSON = String(decoding: try JSONEncoder().encode(settings), as: UTF8.self)
        let info = try await withTenant(tenant) { connection in
            var count = 0
            for try await n in try await connection.query("SELECT count(*)::int FROM destinations", logger: logger).decode(Int.self) { count = n }
            guard count < Self.maxDestinations else { throw StoreError.invalidInput("A tenant has at most \(Self.maxDestinations) destinations.") }
            let rows = try await connection.query("""
                INSERT INTO destinations (name, kind, url, secret, settings) VALUES (\(name), \(kind.rawValue), \(url), \(secret), \(settingsJSON)::jsonb)
                ON CONFLICT (name) DO NOTHING RETURNING created_at
                """, logger: logger)
            var created: Date?
            for try await at in rows.decode(Date.self) { created = at }
            guard let created else { throw StoreError.invalidInput("A destination `\(name)` already exists; remove it first, or choose another name.") }
            try await connection.query("RESET ROLE", logger: logger)
            try await audit(tenant: tenant, actor: actor, action: "destination.added", details: ["name": name, "kind": kind.rawValue], on: connection)
            return DestinationInfo(name: name, kind: kind, url: url, settings: settings, paused: false, createdAt: created)
        }
        let note = kind == .webhook
            ? "Keep the secret now: it is not shown again. Each request is signed; see the README (Activation) for how to verify."
            : "The write key is kept and never shown again."
        return CreatedDestination(destination: info, secret: secret, note: note)
    }

    static func isDestinationName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter, name.utf8.count <= 63 else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    public func destinations(tenant: Tenant) async throws -> [DestinationInfo] {
        try await withTenant(tenant, readOnly: true) { connection in
            try await Self.destinations(on: connection, logger: logger)
        }
    }

    static func destinations(name: String? = nil, on connection: PostgresConnection, logger: Logger) async throws -> [DestinationInfo] {
        var list: [DestinationInfo] = []
        for try await (name, kind, url, settings, paused, created) in try await connection.query("""
            SELECT name, kind, url, settings::text, paused, created_at FROM destinations WHERE \(name)::text IS NULL OR name = \(name) ORDER BY name
            """, logger: logger).decode((String, String, String, String, Bool, Date).self) {
            let decoded = (try? JSONDecoder().decode(DestinationSettings.self, from: Data(settings.utf8))) ?? DestinationSettings()
            list.append(DestinationInfo(name: name, kind: DestinationInfo.Kind(rawValue: kind) ?? .webhook, url: url,
                                        settings: decoded, paused: paused, createdAt: created))
        }
        return list
    }

    public func destination(_ name: String, tenant: Tenant) async throws -> DestinationInfo {
        guard let found = try await withTenant(tenant, readOnly: true, { connection in
            try await Self.destinations(name: name, on: connection, logger: logger).first
        }) else { throw StoreError.notFound("There is no destination `\(name)`.") }
        return found
    }

    /// Changes a destination's settings or pauses it (a paused destination's records wait: queued in the outbox, or kept in their syncs' state until a delivery take moves them).
    public func updateDestination(_ name: String, settings: DestinationSettings?, paused: Bool?, tenant: Tenant,
                                  actor: String) async throws -> DestinationInfo {
        if let problem = settings?.problem { throw StoreError.invalidInput(problem) }
        let json = try settings.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        return try await withTenant(tenant) { connection in
            let rows = try await connection.query("""
                UPDATE destinations SET settings = coalesce(\(json)::jsonb, settings), paused = coalesce(\(paused), paused), updated_at = now()
                WHERE name = \(name) RETURNING name
                """, logger: logger)
            var found = false
            for try await _ in rows.decode(String.self) { found = true }
            guard found else { throw StoreError.notFound("There is no destination `\(name)`.") }
            let info = try await Self.destinations(name: name, on: connection, logger: logger)[0]
            try await connection.query("RESET ROLE", logger: logger)
            try await audit(tenant: tenant, actor: actor, action: "destination.changed", details: ["name": name], on: connection)
            return info
        }
    }

    /// Removes a destination with its waiting records and dead letters; refused while a sync sends to it.
    public func removeDestination(_ name: String, tenant: Tenant, actor: String) async throws {
        try await withTenant(tenant) { connection in
            var users: [String] = []
            for try await sync in try await connection.query(
                "SELECT name FROM syncs WHERE destination = \(name) ORDER BY name", logger: logger).decode(String.self) { users.append(sync) }
            guard users.isEmpty else {
                throw StoreError.invalidInput("The destination `\(name)` is used by sync \(users.map { "`\($0)`" }.joined(separator: ", ")); drop \(users.count == 1 ? "it" : "them") first (`drop sync NAME`).")
            }
            try await connection.query("DELETE FROM sync_outbox WHERE destination = \(name)", logger: logger)
            try await connection.query("DELETE FROM sync_batches WHERE destination = \(name)", logger: logger)
            try await connection.query("DELETE FROM sync_dead_letters WHERE destination = \(name)", logger: logger)
            try await connection.query("DELETE FROM sync_deliveries WHERE destination = \(name)", logger: logger)
            var found = false
            for try await _ in try await connection.query("DELETE FROM destinations WHERE name = \(name) RETURNING name", logger: logger).decode(String.self) {
                found = true
            }
            guard found else { throw StoreError.notFound("There is no destination `\(name)`.") }
            try await connection.query("RESET ROLE", logger: logger)
            try await audit(tenant: tenant, actor: actor, action: "destination.removed", details: ["name": name], on: connection)
        }
    }
}
