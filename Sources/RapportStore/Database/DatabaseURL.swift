import Foundation
import PostgresNIO

/// A PostgreSQL connection URL, as libpq reads one:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require][&host=/socket/dir]`.
///
/// A `host` query parameter that starts with `/` names a unix socket folder (libpq's
/// convention), so `postgres://rapport@/rapport?host=/tmp/pg` connects over `/tmp/pg/.s.PGSQL.5432`.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    public var username: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    /// `disable`, `prefer` (the default) or `require`.
    public var sslMode: String

    /// Parses `text`.
    /// - Throws: ``StoreError/invalidConfiguration(_:)`` naming what is wrong, never echoing a password.
    public init(_ text: String) throws {
        guard let components = URLComponents(string: text),
              let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme)
        else {
            throw StoreError.invalidConfiguration("DATABASE_URL must look like postgres://USER:PASSWORD@HOST:PORT/DATABASE.")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        guard let user = components.user ?? query["user"], !user.isEmpty else {
            throw StoreError.invalidConfiguration("DATABASE_URL names no user (postgres://USER@HOST/DATABASE).")
        }
        username = user
        password = components.password ?? query["password"]
        host = query["host"] ?? components.host ?? "localhost"
        if host.isEmpty { host = "localhost" }
        port = components.port ?? query["port"].flatMap { Int($0) } ?? 5432
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? user : path
        sslMode = query["sslmode"] ?? "prefer"
        guard ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"].contains(sslMode) else {
            throw StoreError.invalidConfiguration("DATABASE_URL has an unknown sslmode `\(sslMode)` (use disable, prefer or require).")
        }
    }

    /// The URL with the password hidden, for logs.
    public var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host.hasPrefix("/") ? "" : host):\(port)/\(database)"
            + (host.hasPrefix("/") ? "?host=\(host)" : "")
    }

    /// The client configuration for this URL.
    public var clientConfiguration: PostgresClient.Configuration {
        if host.hasPrefix("/") {
            return .init(unixSocketPath: "\(host)/.s.PGSQL.\(port)", username: username, password: password, database: database)
        }
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable", "allow": tls = .disable
        case "prefer": tls = .prefer(.makeClientConfiguration())
        default: tls = .require(.makeClientConfiguration())
        }
        return .init(host: host, port: port, username: username, password: password, database: database, tls: tls)
    }
}
