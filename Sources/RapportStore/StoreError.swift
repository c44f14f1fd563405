import PostgresNIO

/// Failures a user of the store can act on. Descriptions are whole sentences that never carry
/// SQL or personal data; ``debugDescription`` adds the underlying database error for logs.
public enum StoreError: Error, CustomStringConvertible, CustomDebugStringConvertible, Equatable {
    case invalidConfiguration(String)
    case invalidTenantSlug(String)
    case tenantExists(String)
    case tenantNotFound(String)
    case roleExists(String)
    /// Another command is making or removing a tenant of this slug right now.
    case tenantBusy(String)
    case invalidScopes([String])
    case invalidInput(String)
    case keyNotFound(String)
    /// A named thing of the tenant's (a destination) that is not there; the message says which.
    case notFound(String)
    case migrationChanged(scope: String, file: String)
    case migrationsInvalid(String)
    case insufficientPrivilege(String)
    case database(String, underlying: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let message), .invalidInput(let message), .migrationsInvalid(let message), .notFound(let message),
             .insufficientPrivilege(let message):
            return message
        case .invalidTenantSlug(let slug):
            return "`\(slug)` is not a valid tenant slug: use 1 to 40 lowercase letters, digits and underscores, starting with a letter."
        case .tenantExists(let slug):
            return "A tenant `\(slug)` already exists."
        case .tenantNotFound(let slug):
            return "There is no tenant `\(slug)`."
        case .tenantBusy(let slug):
            return "Another command is making or removing the tenant `\(slug)` right now; try again when it has ended."
        case .roleExists(let role):
            return "The PostgreSQL role `\(role)` already exists in this cluster but belongs to no tenant of this database; drop it or choose another slug."
        case .invalidScopes(let scopes):
            return "Unknown scope\(scopes.count == 1 ? "" : "s") \(scopes.map { "`\($0)`" }.joined(separator: ", ")): the scopes are \(Scope.allCases.map(\.rawValue).joined(separator: ", "))."
        case .keyNotFound(let id):
            return "There is no key `\(id)` for this tenant."
        case .migrationChanged(let scope, let file):
            return "The migration \(file) was changed after it was applied to \(scope); migrations are forward-only: restore the file and add a new one."
        case .database(let message, _):
            return message
        }
    }

    public var debugDescription: String {
        if case .database(let message, let underlying) = self { return "\(message) (\(underlying))" }
        return description
    }

    /// For an unexpected database error, what PostgreSQL said (SQLSTATE, message, hint, where):
    /// for operators (the command line, logs), never for API callers.
    public var cause: String? {
        if case .database(_, let underlying) = self { return underlying }
        return nil
    }
}

extension StoreError {
    /// Wraps an error from PostgresNIO, keeping the details for logs only.
    /// `error` as a ``StoreError`` with `message`. With `input`, the operation stores what a
    /// caller sent, so a value PostgreSQL cannot hold (class 22) is the caller's mistake.
    static func wrap(_ error: any Error, _ message: String, input: Bool = false) -> any Error {
        if error is StoreError { return error }
        // A value PostgreSQL cannot hold (a NUL character, a malformed or out-of-range value)
        // is the caller's input, not the database failing: say so, and do not ask for a retry.
        if input, let psql = error as? PSQLError, let state = psql.serverInfo?[.sqlState], state.hasPrefix("22") {
            return StoreError.invalidInput(message + " A value in it cannot be stored (\(Self.dataProblem(state))).")
        }
        return StoreError.database(message, underlying: databaseCause(error))
    }

    /// What PostgreSQL said in `error`: `SQLSTATE 42501: must be owner of schema t_acme` with
    /// its hint and context (a Citus worker's error names the worker there); for an error
    /// that did not come from the server (a refused connection), PostgresNIO's own account.
    public static func databaseCause(_ error: any Error) -> String {
        guard let psql = error as? PSQLError else { return String(reflecting: error) }
        guard let info = psql.serverInfo, let message = info[.message] else {
            return "\(psql.code)" + (psql.underlying.map { ": \(String(reflecting: $0))" } ?? "")
        }
        // Not the detail: it can quote a row's values (a unique violation names the key).
        var text = "SQLSTATE \(info[.sqlState] ?? "?????"): \(message)"
        if let hint = info[.hint] { text += "; hint: \(hint)" }
        if let context = info[.locationContext] { text += "; where: \(context)" }
        return text
    }

    /// The SQLSTATE of a PostgreSQL error.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    static func dataProblem(_ sqlState: String) -> String {
        switch sqlState {
        case "22021", "22P05": "a character that is not allowed, such as NUL"
        case "22001": "a text that is too long"
        case "22003": "a number out of range"
        case "22007", "22008": "a date or time out of range"
        default: "a malformed value"
        }
    }

    /// Refuses text that PostgreSQL cannot store or that would be too long: `what` names the
    /// field in the error ("A key name").
    static func checkText(_ text: String?, _ what: String, maxCharacters: Int) throws {
        guard let text else { return }
        if text.utf8.contains(0) { throw StoreError.invalidInput("\(what) cannot hold the NUL character.") }
        if text.count > maxCharacters { throw StoreError.invalidInput("\(what) has at most \(maxCharacters) characters.") }
    }
}
