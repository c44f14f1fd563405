import Foundation
import PostgresNIO

/// A PostgreSQL connection URL, as libpq reads one:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE][&sslrootcert=FILE][&host=/socket/dir]`.
///
/// `sslmode` means what it means to libpq: `disable` never encrypts; `prefer` (the default)
/// encrypts when the server offers it and `require` always, both without checking the server's
/// certificate (a Citus coordinator's is self-signed) unless `sslrootcert` names the authority to
/// check it against; `verify-ca` checks the certificate against `sslrootcert` (default: the
/// system's roots) and `verify-full` also the host name.
///
/// A `host` query parameter that starts with `/` names a unix socket folder (libpq's
/// convention), so `postgres://rapport@/rapport?host=/tmp/pg` connects over `/tmp/pg/.s.PGSQL.5432`.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    public var username: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    /// `disable`, `allow`, `prefer` (the default), `require`, `verify-ca` or `verify-full`.
    public var sslMode: String
    /// The certificate authorities `verify-ca` and `verify-full` trust (a PEM file), else the system's.
    public var sslRootCertificate: String?

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
            throw StoreError.invalidConfiguration(
                "DATABASE_URL has an unknown sslmode `\(sslMode)` (use disable, prefer, require, verify-ca or verify-full).")
        }
        sslRootCertificate = query["sslrootcert"].flatMap { $0.isEmpty ? nil : $0 }
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
        switch tlsConfiguration {
        case nil: tls = .disable
        case let (configuration, required)?: tls = required ? .require(configuration) : .prefer(configuration)
        }
        return .init(host: host, port: port, username: username, password: password, database: database, tls: tls)
    }

    /// The same for one connection, outside a pool (which would retry a refused handshake for a
    /// while before it gives up).
    /// - Throws: when the TLS settings cannot be used (an unreadable `sslrootcert`).
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        if host.hasPrefix("/") {
            return .init(unixSocketPath: "\(host)/.s.PGSQL.\(port)", username: username, password: password, database: database)
        }
        let tls: PostgresConnection.Configuration.TLS
        switch tlsConfiguration {
        case nil: tls = .disable
        case let (configuration, required)?:
            let context = try NIOSSLContext(configuration: configuration)
            tls = required ? .require(context) : .prefer(context)
        }
        return .init(host: host, port: port, username: username, password: password, database: database, tls: tls)
    }

    /// What `sslMode` asks of TLS: nil for none; else the configuration, and whether the
    /// connection must have it.
    var tlsConfiguration: (TLSConfiguration, required: Bool)? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case "disable", "allow": return nil
        case "prefer", "require" where sslRootCertificate == nil:
            configuration.certificateVerification = .none
            return (configuration, sslMode == "require")
        default:
            if let sslRootCertificate { configuration.trustRoots = .file(sslRootCertificate) }
            // As libpq: `require` with a root certificate checks the chain, as `verify-ca` does.
            if sslMode != "verify-full" { configuration.certificateVerification = .noHostnameVerification }
            return (configuration, sslMode != "prefer")
        }
    }
}
