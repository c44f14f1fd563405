import Foundation
import Logging
import NIOPosix
import PostgresNIO

/// Where Rapport's PostgreSQL is: a server given by URL, or the embedded default.
///
/// Keys read from the environment by ``fromEnvironment(databaseURL:dataDirectory:)``:
/// - `DATABASE_URL`: a PostgreSQL URL (see ``DatabaseURL``); when set, nothing is embedded;
/// - `RAPPORT_DATA_DIR`: the data folder of the embedded cluster (default `./.rapport`);
/// - `RAPPORT_PG_BINDIR`: where PostgreSQL's programs are (default: found under `/usr/lib/postgresql`).
public enum DatabaseConfiguration: Sendable, CustomStringConvertible {
    case url(DatabaseURL)
    case embedded(dataDirectory: String)

    /// The default data folder.
    public static let defaultDataDirectory = "./.rapport"
    /// The login role and database Rapport creates in its embedded cluster.
    public static let embeddedRole = "rapport"

    /// Options given on the command line win over the environment (`--database-url`, then
    /// `--data-dir`, then `DATABASE_URL`, then `RAPPORT_DATA_DIR`); with none, the embedded default.
    public static func fromEnvironment(databaseURL: String?, dataDirectory: String?) throws -> DatabaseConfiguration {
        let env = ProcessInfo.processInfo.environment
        if let url = databaseURL { return .url(try DatabaseURL(url)) }
        if let dataDirectory { return .embedded(dataDirectory: dataDirectory) }
        if let url = env["DATABASE_URL"], !url.isEmpty { return .url(try DatabaseURL(url)) }
        return .embedded(dataDirectory: env["RAPPORT_DATA_DIR"] ?? defaultDataDirectory)
    }

    public var description: String {
        switch self {
        case .url(let url): return url.description
        case .embedded(let dir): return "embedded PostgreSQL in \(dir)"
        }
    }
}

/// An opened database: the client configuration for Rapport's login role, and the embedded
/// cluster if there is one.
public struct OpenedDatabase: Sendable {
    public var clientConfiguration: PostgresClient.Configuration
    public var embedded: EmbeddedPostgres?
    /// Whether opening started the embedded server (so closing should stop it).
    public var startedServer: Bool

    /// Starts the embedded cluster if configured (creating it, its `rapport` login role and its
    /// database on first use), and returns how to connect.
    /// - Parameter owner: the caller is the server that owns the data folder: only one owner may
    ///   run at a time (a lock file says so), and the owner stops the cluster when it closes, even
    ///   one it adopted from a run that crashed. Others stop only a cluster they started.
    /// - Parameter create: make the embedded cluster if the data folder has none (`serve`,
    ///   `migrate`); otherwise a missing one is an error that says where it looked, so that a
    ///   command run from the wrong folder does not quietly make an empty second database.
    public static func open(_ configuration: DatabaseConfiguration, owner: Bool = false, create: Bool = true,
                            logger: Logger) async throws -> OpenedDatabase {
        switch configuration {
        case .url(let url):
            var client = url.clientConfiguration
            client.options.minimumConnections = 0
            return OpenedDatabase(clientConfiguration: client, embedded: nil, startedServer: false)
        case .embedded(let dataDirectory):
            let cluster = try EmbeddedPostgres(dataDirectory: dataDirectory)
            if !create && !cluster.exists { throw StoreError.invalidConfiguration(Self.noDatabase(in: cluster.dataDirectory)) }
            if owner { try cluster.lockForServer() }
            let started = try cluster.start(logger: logger) || owner
            do {
                try await bootstrap(cluster, logger: logger)
            } catch {
                if started { try? cluster.stop(logger: logger) }
                throw error
            }
            let role = DatabaseConfiguration.embeddedRole
            let client = PostgresClient.Configuration(unixSocketPath: cluster.socketPath, username: role, password: nil, database: role)
            return OpenedDatabase(clientConfiguration: client, embedded: cluster, startedServer: started)
        }
    }

    /// Where the command looked, and how to point it at the right place.
    static func noDatabase(in folder: String) -> String {
        var text = "There is no Rapport database in \(folder) (the embedded default: --data-dir, else RAPPORT_DATA_DIR,"
            + " else ./.rapport in the current folder). Point at yours with --data-dir DIR, RAPPORT_DATA_DIR=DIR or DATABASE_URL;"
            + " `rapport serve` or `rapport migrate` makes a new one."
        let demo = "/var/lib/rapport/demo"
        if folder != demo, FileManager.default.fileExists(atPath: demo + "/pg/PG_VERSION") {
            text += " scripts/demo keeps its data in \(demo) on this machine: try --data-dir \(demo)."
        }
        return text
    }

    /// Stops the embedded server if opening started it.
    public func close(logger: Logger) {
        guard startedServer, let embedded else { return }
        do { try embedded.stop(logger: logger) } catch { logger.error("\(error)") }
    }

    /// Creates the login role (not a superuser; may create roles; inherits no tenant's rights)
    /// and the database it owns.
    static func bootstrap(_ cluster: EmbeddedPostgres, logger: Logger) async throws {
        let role = DatabaseConfiguration.embeddedRole
        let configuration = PostgresConnection.Configuration(
            unixSocketPath: cluster.socketPath, username: EmbeddedPostgres.superuser, password: nil, database: "postgres")
        let connection = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 0, logger: logger)
        defer { Task { try? await connection.close() } }
        let roles = try await connection.query("SELECT 1 FROM pg_roles WHERE rolname = \(role)", logger: logger)
        var hasRole = false
        for try await _ in roles { hasRole = true }
        if !hasRole {
            logger.info("creating the login role `\(role)`")
            try await connection.query("CREATE ROLE \(unescaped: quoteIdentifier(role)) LOGIN NOSUPERUSER NOINHERIT CREATEROLE", logger: logger)
        }
        let databases = try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(role)", logger: logger)
        var hasDatabase = false
        for try await _ in databases { hasDatabase = true }
        if !hasDatabase {
            logger.info("creating the database `\(role)`")
            try await connection.query("CREATE DATABASE \(unescaped: quoteIdentifier(role)) OWNER \(unescaped: quoteIdentifier(role))", logger: logger)
        }
    }
}
