import Logging
import ServiceLifecycle

/// Keeps the embedded cluster for the life of a service group and stops it on shutdown, if
/// this process started it. Put it first among the services so it stops last, after the pool.
public struct EmbeddedPostgresService: Service {
    let database: OpenedDatabase
    let logger: Logger

    public init(database: OpenedDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public func run() async throws {
        try? await gracefulShutdown()
        database.close(logger: logger)
    }
}
