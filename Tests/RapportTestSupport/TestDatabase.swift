import Foundation
import Logging
import NIOPosix
import PostgresNIO
import RapportStore

/// A fresh database on the test PostgreSQL that `scripts/test` starts.
///
/// Environment (set by `scripts/test`):
/// - `RAPPORT_TEST_DATABASE_URL`: Rapport's login role (not a superuser) on the test cluster;
/// - `RAPPORT_TEST_SUPERUSER_URL`: the cluster's superuser, for creating databases and for
///   checks that must see everything.
/// The database part of both URLs is replaced by a fresh name per test.
public struct TestDatabase: Sendable {
    public let name: String
    /// Rapport's login role on this database.
    public let url: DatabaseURL
    /// The superuser on this database.
    public let superuserURL: DatabaseURL

    public static var isConfigured: Bool {
        ProcessInfo.processInfo.environment["RAPPORT_TEST_DATABASE_URL"] != nil
    }

    /// Creates an empty database owned by Rapport's login role.
    public static func create(logger: Logger = TestDatabase.logger) async throws -> TestDatabase {
        let env = ProcessInfo.processInfo.environment
        guard let app = env["RAPPORT_TEST_DATABASE_URL"], let admin = env["RAPPORT_TEST_SUPERUSER_URL"] else {
            throw TestSetupError("RAPPORT_TEST_DATABASE_URL and RAPPORT_TEST_SUPERUSER_URL are not set: run the tests with scripts/test.")
        }
        let name = "rapport_test_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        var url = try DatabaseURL(app)
        var superuserURL = try DatabaseURL(admin)
        let owner = quoteIdentifier(url.username)
        try await withConnection(superuserURL, logger: logger) { connection in
            try await connection.query("CREATE DATABASE \(unescaped: name) OWNER \(unescaped: owner)", logger: logger)
        }
        url.database = name
        superuserURL.database = name
        return TestDatabase(name: name, url: url, superuserURL: superuserURL)
    }

    /// Runs `body` on one superuser connection to this database.
    public func superuser<R: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> R) async throws -> R {
        try await Self.withConnection(superuserURL, logger: Self.logger, body)
    }

    /// The rows of a superuser query, each as an array of optional strings (cast non-text columns with `::text`).
    public func superuserRows(_ sql: String) async throws -> [[String?]] {
        try await superuser { connection in
            var rows: [[String?]] = []
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger) {
                rows.append(try row.map { cell in try cell.decode(String?.self) })
            }
            return rows
        }
    }

    static func withConnection<R: Sendable>(_ url: DatabaseURL, logger: Logger, _ body: @Sendable (PostgresConnection) async throws -> R) async throws -> R {
        let client = url.clientConfiguration
        let configuration: PostgresConnection.Configuration
        if let socket = client.unixSocketPath {
            configuration = .init(unixSocketPath: socket, username: url.username, password: url.password, database: url.database)
        } else {
            configuration = .init(host: url.host, port: url.port, username: url.username, password: url.password, database: url.database, tls: .disable)
        }
        let connection = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 1, logger: logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    public static let logger: Logger = {
        var logger = Logger(label: "rapport.test")
        logger.logLevel = .warning
        return logger
    }()
}

/// Runs `body` with a store on a fresh test database whose pool is running; migrated unless told not to.
public func withTestStore<R: Sendable>(
    migrate: Bool = true, _ body: @Sendable (Store, TestDatabase) async throws -> R
) async throws -> R {
    let database = try await TestDatabase.create()
    return try await Store.withRunningStore(database.url.clientConfiguration, logger: TestDatabase.logger, migrate: migrate) { store in
        try await body(store, database)
    }
}

/// A unique tenant slug: tenant roles are cluster-wide, and tests share one cluster.
public func uniqueSlug(_ prefix: String = "t") -> String {
    prefix + "_" + UUID().uuidString.prefix(8).lowercased()
}

public struct TestSetupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
