import Logging
import PostgresNIO

extension Store {
    /// Opens the database, runs `body` with a store whose pool is running, then closes
    /// everything (stopping the embedded server if this call started it). For one-shot commands.
    /// - Parameters:
    ///   - migrate: apply pending migrations before `body`.
    ///   - createEmbedded: make the embedded cluster if the data folder has none (else that is an error).
    public static func withStore<R: Sendable>(
        _ configuration: DatabaseConfiguration, logger: Logger, migrate: Bool = true, createEmbedded: Bool = false,
        _ body: @Sendable (Store) async throws -> R
    ) async throws -> R {
        let database = try await OpenedDatabase.open(configuration, create: createEmbedded, logger: logger)
        defer { database.close(logger: logger) }
        // The pool warns when used before its run() task is scheduled, which a one-shot command
        // always does; it queues the request meanwhile, so only errors are worth showing here.
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .error)
        return try await withRunningStore(database.clientConfiguration, logger: logger, poolLogger: poolLogger, migrate: migrate, body)
    }

    /// Runs `body` with a store on a new pool for `configuration`, the pool's `run()` going on
    /// beside it until `body` ends.
    /// - Parameters:
    ///   - poolLogger: the pool's background logger (default: `logger`).
    ///   - migrate: apply pending migrations before `body`.
    public static func withRunningStore<R: Sendable>(
        _ configuration: PostgresClient.Configuration, logger: Logger, poolLogger: Logger? = nil, migrate: Bool,
        _ body: @Sendable (Store) async throws -> R
    ) async throws -> R {
        let client = PostgresClient(configuration: configuration, backgroundLogger: poolLogger ?? logger)
        let store = Store(client: client, migrations: try MigrationSet.bundled(), logger: logger)
        return try await withThrowingTaskGroup(of: R?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            if migrate { try await store.migrate() }
            return try await body(store)
        }
    }
}
