import Foundation
import PostgresNIO
import RapportQL

extension Store {
    /// The tenant's catalogue as the checker sees it.
    public func catalog(tenant: Tenant) async throws -> CatalogSnapshot {
        try await withTenant(tenant, readOnly: true) { connection in
            try await Self.loadCatalog(on: connection, logger: logger)
        }
    }

    static func loadCatalog(on connection: PostgresConnection, logger: Logger) async throws -> CatalogSnapshot {
        var entries: [CatalogSnapshot.Entry] = []
        for try await (kind, name, type) in try await connection.query(
            "SELECT kind, name, type FROM catalogue", logger: logger).decode((String, String, String).self) {
            entries.append(CatalogSnapshot.Entry(kind: kind, name: name, type: type))
        }
        var kinds: [IdentityKindInfo] = []
        for try await (kind, normalization) in try await connection.query(
            "SELECT kind, normalization FROM identity_kinds ORDER BY priority, kind", logger: logger).decode((String, String).self) {
            kinds.append(IdentityKindInfo(name: kind, normalization: normalization))
        }
        if kinds.isEmpty {
            kinds = IdentityRules.defaults.kinds.map { IdentityKindInfo(name: $0.name, normalization: $0.normalization.rawValue) }
        }
        var definitions: [Definition] = []
        for try await (kind, name, source) in try await connection.query(
            "SELECT kind, name, source FROM definitions", logger: logger).decode((String, String, String).self) {
            if let kind = Definition.Kind(rawValue: kind) { definitions.append(Definition(kind: kind, name: name, source: source)) }
        }
        var destinations: [String] = []
        for try await name in try await connection.query("SELECT name FROM destinations", logger: logger).decode(String.self) {
            destinations.append(name)
        }
        var syncs: [String] = []
        for try await name in try await connection.query("SELECT name FROM syncs", logger: logger).decode(String.self) { syncs.append(name) }
        let summaries = try await Self.summaryState(on: connection, logger: logger)
        return CatalogSnapshot(entries: entries, identityKinds: kinds, definitions: definitions, destinations: destinations, syncs: syncs,
                               summaries: summaries.availability)
    }

    /// Parses and checks `text` against the tenant's catalogue without running it.
    public func validate(_ text: String, tenant: Tenant) async throws -> [Diagnostic] {
        let catalog = try await catalog(tenant: tenant)
        return RQL.check(text, catalog: catalog).diagnostics
    }

    /// Compiles `text` against the tenant's catalogue.
    public func compile(_ text: String, tenant: Tenant, options: QueryOptions = QueryOptions()) async throws -> RQL.Compilation {
        let catalog = try await catalog(tenant: tenant)
        return RQL.compile(text, catalog: catalog, options: SQLCompiler.Options(rowLimit: options.rowCap + 1))
    }

    /// Runs an RQL script: one result per statement. A script with a problem runs nothing
    /// (``QueryError/diagnostics(_:source:)``); statements run in one transaction of the
    /// tenant, read-only unless the script saves or drops definitions, with the statement
    /// timeout, so a failure leaves nothing half-done.
    public func query(_ text: String, tenant: Tenant, options: QueryOptions = QueryOptions()) async throws -> [QueryResult] {
        do {
            return try await query(text, tenant: tenant, options: options, summaries: true)
        } catch is SummariesRebuilt {
            // A rebuild of the summaries began while the query read them: again, from the events.
            return try await query(text, tenant: tenant, options: options, summaries: false)
        }
    }

    /// Thrown inside a query's transaction when the summaries it read are no longer the ready
    /// ones it was compiled for.
    struct SummariesRebuilt: Error {}

    func query(_ text: String, tenant: Tenant, options: QueryOptions, summaries useSummaries: Bool) async throws -> [QueryResult] {
        var catalog = try await catalog(tenant: tenant)
        if !useSummaries { catalog.summaries = nil }
        let compilation = RQL.compile(text, catalog: catalog, options: SQLCompiler.Options(rowLimit: options.rowCap + 1))
        let compiledFor = catalog.summaries
        guard compilation.succeeded else { throw QueryError.diagnostics(compilation.diagnostics, source: text) }
        let settingsChanged = compilation.statements.contains {
            switch $0 {
            case .define(let definition, _): definition.kind == .setting
            case .drop(.setting, _): true
            default: false
            }
        }
        let writes = compilation.statements.contains {
            switch $0 {
            case .define, .drop, .defineSync: true
            default: false
            }
        }
        let now = Self.iso(options.now ?? Date())
        let timeout = Int(options.timeout.components.seconds * 1000 + options.timeout.components.attoseconds / 1_000_000_000_000_000)
        let registration: (id: String, token: UInt64)?
        if let id = options.id {
            switch await runningQueries.reserve(id, tenant: tenant.id) {
            case .reserved(let token): registration = (id, token)
            case .cancelledEarly: throw QueryError.cancelled
            case .inUse: throw QueryError.idInUse(id)
            }
        } else {
            registration = nil
        }
        let running = runningQueries
        // Should the transaction fail before its body releases the id, it is released here (by
        // its token, so never a later query's reservation of the same id).
        defer { if let registration { Task { await running.finish(registration.id, tenant: tenant.id, token: registration.token) } } }
        do {
            return try await withTenant(tenant, readOnly: !writes) { connection in
                if let registration {
                    var pid: Int32 = 0
                    for try await backend in try await connection.query("SELECT pg_backend_pid()", logger: logger).decode(Int32.self) { pid = backend }
                    guard await running.attach(registration.id, tenant: tenant.id, pid: pid) else {
                        await running.finish(registration.id, tenant: tenant.id, token: registration.token)
                        throw QueryError.cancelled
                    }
                }
                do {
                    try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL statement_timeout = \(max(1, timeout))"), logger: logger)
                    try await Self.prepareForQueries(connection, logger: logger)
                    var results: [QueryResult] = []
                    var budget = options.byteCap
                    for statement in compilation.statements {
                        results.append(try await Self.run(statement, now: now, options: options, budget: &budget, on: connection, logger: logger))
                    }
                    // Each statement read summaries and events of one snapshot; none began a
                    // rebuild between them unless the generation moved.
                    let readSummaries = compilation.statements.contains {
                        switch $0 {
                        case .query(let query), .explain(let query, analyze: true): query.readsSummaries
                        default: false
                        }
                    }
                    if readSummaries, let compiledFor {
                        let state = try await Self.summaryState(on: connection, logger: logger)
                        if !state.ready || state.generation != compiledFor.generation { throw SummariesRebuilt() }
                    }
                    if settingsChanged { try await Self.refreshSummaryFlows(on: connection, logger: logger) }
                    // Released before the connection goes back to the pool: a cancel by this id
                    // must never reach the backend's next query, which may be another tenant's.
                    if let registration { await running.finish(registration.id, tenant: tenant.id, token: registration.token) }
                    return results
                } catch {
                    var cancelled = false
                    if let registration { cancelled = await running.finish(registration.id, tenant: tenant.id, token: registration.token) }
                    if cancelled, let error = error as? PSQLError, error.serverInfo?[.sqlState] == "57014" { throw QueryError.cancelled }
                    throw error
                }
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "57014" {
            throw QueryError.timeout(milliseconds: timeout)
        } catch let error as PSQLError where error.serverInfo?[.sqlState]?.hasPrefix("22") == true {
            // Data exceptions: arithmetic the checker cannot bound (a date minus 900 years,
            // twice) that leaves PostgreSQL's range.
            switch error.serverInfo?[.sqlState] {
            case "22008", "22015": throw QueryError.outOfRange("a date, time or duration goes out of range (4713 BC to 294276 AD)")
            case "22003": throw QueryError.outOfRange("a number goes out of range")
            default: throw QueryError.outOfRange("a value cannot be computed on this data")
            }
        } catch let error as PSQLError where ["53200", "53300"].contains(error.serverInfo?[.sqlState] ?? "") {
            // Out of memory or connections: the database is short of something, not the query at fault.
            throw QueryError.databaseBusy
        } catch let error as PSQLError where Self.limitStates[error.serverInfo?[.sqlState] ?? ""] != nil {
            throw QueryError.tooComplex(Self.limitStates[error.serverInfo?[.sqlState] ?? ""]!)
        }
    }

    /// The most saved segments, metrics, funnels and stage rules one tenant may have.
    public static let maxDefinitions = 1_000

    /// PostgreSQL's errors for a query beyond one of its limits (class 54, and the temporary
    /// space one query can fill), and what each means to the user.
    static let limitStates: [String: String] = [
        "54000": "a value or row would be too large",
        "54001": "the query nests too deeply",
        "54011": "it asks for too many columns",
        "54023": "a function would get too many arguments",
        "53400": "it needs more temporary space than the database allows",
    ]

    /// Cancels the query `tenant` started with ``QueryOptions/id`` `id`; whether one was
    /// running. A cancel that comes before its query starts stops it from starting.
    @discardableResult
    public func cancelQuery(_ id: String, tenant: Tenant) async throws -> Bool {
        guard let pid = await runningQueries.cancel(id, tenant: tenant.id) else { return false }
        guard pid != 0 else { return true }
        try await withTransaction { connection in
            try await connection.query("SELECT pg_cancel_backend(\(pid))", logger: logger)
        }
        return true
    }

    /// The session settings queries run with, in the caller's transaction: UTC; no JIT (its
    /// compilation costs more than it saves on questions answered in well under a second);
    /// memory for the events pass's hash aggregate, so it does not spill to disk.
    public static func prepareForQueries(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SET LOCAL TimeZone = 'UTC'", logger: logger)
        try await connection.query("SET LOCAL jit = off", logger: logger)
        try await connection.query("SET LOCAL work_mem = '64MB'", logger: logger)
    }

    static func iso(_ date: Date) -> String {
        Timestamp.format(Timestamp.micros(date))
    }

    static func run(_ statement: RQL.CompiledStatement, now: String, options: QueryOptions, budget: inout Int,
                    on connection: PostgresConnection, logger: Logger) async throws -> QueryResult {
        switch statement {
        case .query(let query):
            let clock = ContinuousClock.now
            let (rows, truncated) = try await rows(of: query, now: now, cap: options.rowCap, budget: &budget, on: connection, logger: logger)
            let elapsed = ContinuousClock.now - clock
            return QueryResult(columns: query.columns, rows: rows, truncated: truncated,
                               elapsedMilliseconds: Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
        case .explain(let query, let analyze):
            let binds = query.binds.map(\.description)
            let reads = try await Self.summaryReads(query, on: connection, logger: logger)
            guard analyze else {
                return QueryResult(columns: [ResultColumn(name: "sql", type: .text), ResultColumn(name: "binds", type: .text)],
                                   rows: [[.text(query.sql), .text(binds.joined(separator: "\n"))]], sql: query.sql, binds: binds, reads: reads)
            }
            var plan = query
            plan.sql = "EXPLAIN (ANALYZE, BUFFERS) " + query.sql
            var lines: [String] = []
            for try await line in try await connection.query(postgresQuery(plan, now: now), logger: logger).decode(String.self) {
                lines.append(line)
            }
            var result = QueryResult.lines("plan", lines)
            result.sql = query.sql
            result.binds = binds
            result.reads = reads
            return result
        case .define(let definition, let uses):
            // Every query of the tenant reads its definitions: their number is bounded.
            let count = try await connection.query("""
                SELECT count(*) FROM definitions WHERE NOT (kind = \(definition.kind.rawValue) AND name = \(definition.name))
                """, logger: logger)
            for try await n in count.decode(Int.self) where n >= maxDefinitions { throw QueryError.tooManyDefinitions(maxDefinitions) }
            try await connection.query("""
                INSERT INTO definitions (kind, name, source, uses) VALUES (\(definition.kind.rawValue), \(definition.name), \(definition.source), \(uses))
                ON CONFLICT (kind, name) DO UPDATE SET source = excluded.source, uses = excluded.uses, updated_at = excluded.updated_at
                """, logger: logger)
            return QueryResult.lines("result", ["saved \(definition.kind.rawValue) \(definition.name)"])
        case .defineSync(let sync):
            return try await saveSync(sync, on: connection, logger: logger)
        case .drop(.sync, let name):
            return try await dropSync(name, on: connection, logger: logger)
        case .drop(let kind, let name):
            var users: [String] = []
            for try await (userKind, user) in try await connection.query("""
                SELECT kind, name FROM definitions WHERE \(name) = ANY(uses)
                UNION ALL SELECT 'sync', name FROM syncs WHERE \(name) = ANY(uses) ORDER BY 2
                """, logger: logger).decode((String, String).self) {
                users.append("\(userKind) \(user)")
            }
            guard users.isEmpty else { throw QueryError.inUse(name, usedBy: users) }
            try await connection.query("DELETE FROM definitions WHERE kind = \(kind.rawValue) AND name = \(name)", logger: logger)
            return QueryResult.lines("result", ["dropped \(kind.rawValue) \(name)"])
        case .show(let what):
            var result = try await show(what, cap: options.rowCap, on: connection, logger: logger)
            if result.rows.count > options.rowCap {
                result.rows.removeLast(result.rows.count - options.rowCap)
                result.truncated = true
            }
            return result
        case .describe(let name):
            return try await describe(name, now: now, options: options, on: connection, logger: logger)
        }
    }

    static func postgresQuery(_ query: CompiledQuery, now: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: query.sql, binds: TypedBind.bindings(query.binds, now: now))
    }

    /// The rows of `query`, reading no further than `cap` rows or `budget` bytes of values
    /// (what is read is taken from `budget`); whether it stopped before the end.
    static func rows(of query: CompiledQuery, now: String, cap: Int, budget: inout Int,
                     on connection: PostgresConnection, logger: Logger) async throws -> (rows: [[QueryValue]], truncated: Bool) {
        var rows: [[QueryValue]] = []
        let types = query.columns.map(\.type)
        for try await row in try await connection.query(postgresQuery(query, now: now), logger: logger) {
            // One row past the cap says there is more; it is not kept.
            guard rows.count < cap else { return (rows, true) }
            var values: [QueryValue] = []
            values.reserveCapacity(types.count)
            var bytes = 8 * types.count
            for (index, cell) in row.enumerated() {
                bytes += cell.bytes?.readableBytes ?? 0
                values.append(QueryValue(try cell.decode(String?.self), type: types[index]))
            }
            budget -= bytes
            guard budget >= 0 else { return (rows, true) }
            rows.append(values)
        }
        return (rows, false)
    }
}
