#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// A PostgreSQL cluster that Rapport initialises, starts and stops under its own data folder.
///
/// Layout under the data folder (`--data-dir`, default `./.rapport`):
/// - `pg/`: the cluster (created by `initdb` on first use, reused after);
/// - `run/`: the unix socket folder (or a short folder under `/tmp` when the path would be
///   too long for a socket address); PostgreSQL listens on no TCP port;
/// - `postgres.log`: the server log.
///
/// PostgreSQL refuses to run as root: when Rapport runs as root the cluster runs as the
/// `postgres` system user that Debian's package creates (or `rapport-postgres`, created if
/// neither exists), through `runuser`.
public struct EmbeddedPostgres: Sendable {
    /// The data folder given by the user.
    public let dataDirectory: String
    /// Where the PostgreSQL programs are (`initdb`, `pg_ctl`, `postgres`).
    public let binDirectory: String
    /// The system user the cluster runs as when Rapport runs as root; nil otherwise.
    public let runAs: String?
    /// The port number that names the socket file; no TCP port is opened.
    public let port = 5432
    /// The database superuser that `initdb` creates.
    public static let superuser = "postgres"

    public var clusterDirectory: String { dataDirectory + "/pg" }
    public var logFile: String { dataDirectory + "/postgres.log" }
    public var socketDirectory: String {
        let preferred = dataDirectory + "/run"
        // sun_path holds 107 bytes; ".s.PGSQL.5432" needs 14 of them.
        if preferred.utf8.count <= 90 { return preferred }
        return "/tmp/rapport-\(String(UInt32(truncatingIfNeeded: Self.stableHash(dataDirectory)), radix: 16))"
    }
    public var socketPath: String { socketDirectory + "/.s.PGSQL.\(port)" }

    /// Finds the PostgreSQL programs and prepares (without starting anything) a cluster under `dataDirectory`.
    /// - Throws: ``EmbeddedPostgresError/binariesMissing`` naming the package to install.
    public init(dataDirectory: String, binDirectory: String? = nil) throws {
        self.dataDirectory = URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
        guard let bin = binDirectory ?? Self.findBinDirectory() else { throw EmbeddedPostgresError.binariesMissing }
        self.binDirectory = bin
        self.runAs = getuid() == 0 ? try Self.unprivilegedUser() : nil
    }

    /// Starts the cluster, creating it first if needed; a cluster already running from an
    /// earlier run is adopted.
    /// - Returns: true if this call started the server, false if it was already running.
    @discardableResult
    public func start(logger: Logger) throws -> Bool {
        try prepareFolders()
        if !FileManager.default.fileExists(atPath: clusterDirectory + "/PG_VERSION") {
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: clusterDirectory)) ?? []
            guard contents.isEmpty else { throw EmbeddedPostgresError.notACluster(clusterDirectory) }
            logger.info("creating the embedded PostgreSQL cluster", metadata: ["path": "\(clusterDirectory)"])
            try run("initdb", ["-D", clusterDirectory, "-U", Self.superuser, "--auth=trust", "-E", "UTF8", "--locale=C"],
                    failure: "initdb failed")
            try appendSettings()
        }
        if isRunning() {
            logger.info("the embedded PostgreSQL is already running; using it", metadata: ["socket": "\(socketPath)"])
            return false
        }
        logger.info("starting the embedded PostgreSQL", metadata: ["socket": "\(socketPath)", "log": "\(logFile)"])
        try run("pg_ctl", ["start", "-D", clusterDirectory, "-l", logFile, "-w", "-t", "120",
                           "-o", "-k '\(socketDirectory)' -p \(port)"],
                failure: "PostgreSQL did not start (see \(logFile))")
        return true
    }

    /// Stops the cluster (fast shutdown: open transactions are rolled back).
    public func stop(logger: Logger) throws {
        guard isRunning() else { return }
        logger.info("stopping the embedded PostgreSQL")
        try run("pg_ctl", ["stop", "-D", clusterDirectory, "-m", "fast", "-w", "-t", "120"], failure: "PostgreSQL did not stop")
    }

    /// Whether the cluster has been created (`initdb` ran).
    public var exists: Bool { FileManager.default.fileExists(atPath: clusterDirectory + "/PG_VERSION") }

    /// Whether a server is running on this cluster.
    public func isRunning() -> Bool {
        guard exists else { return false }
        return (try? invoke("pg_ctl", ["status", "-D", clusterDirectory]).succeeded) ?? false
    }

    /// Takes the data folder for this process's server, for as long as the process lives.
    /// - Throws: ``EmbeddedPostgresError/inUse(_:)`` if another `rapport serve` holds it.
    public func lockForServer() throws {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let fd = open(dataDirectory + "/serve.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw EmbeddedPostgresError.inUse(dataDirectory) }
        // The descriptor stays open, and the lock held, until the process ends.
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw EmbeddedPostgresError.inUse(dataDirectory)
        }
    }

    // MARK: - Internals

    private func prepareFolders() throws {
        let fm = FileManager.default
        for folder in [dataDirectory, clusterDirectory, socketDirectory] {
            try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        chmod(clusterDirectory, 0o700)
        chmod(socketDirectory, 0o700)
        guard let user = runAs else { return }
        guard let entry = getpwnam(user) else { throw EmbeddedPostgresError.noUser(user) }
        let (uid, gid) = (entry.pointee.pw_uid, entry.pointee.pw_gid)
        for path in [clusterDirectory, socketDirectory] { chown(path, uid, gid) }
        if !fm.fileExists(atPath: logFile) { fm.createFile(atPath: logFile, contents: nil) }
        chown(logFile, uid, gid)
        // The unprivileged user must be able to walk down to its folders.
        let probe = try Subprocess.run("/usr/sbin/runuser", ["-u", user, "--", "test", "-w", clusterDirectory])
        guard probe.succeeded else { throw EmbeddedPostgresError.unreachable(path: dataDirectory, user: user) }
    }

    private func appendSettings() throws {
        let settings = """

            # Added by Rapport: the embedded cluster listens only on its unix socket.
            listen_addresses = ''
            unix_socket_permissions = 0700
            max_connections = 100
            shared_buffers = 256MB
            """
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: clusterDirectory + "/postgresql.conf"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(settings.utf8))
        try handle.close()
    }

    private func run(_ program: String, _ arguments: [String], failure: String) throws {
        let result = try invoke(program, arguments)
        guard result.succeeded else {
            throw EmbeddedPostgresError.commandFailed(message: failure, output: result.output)
        }
    }

    private func invoke(_ program: String, _ arguments: [String]) throws -> Subprocess.Result {
        let path = binDirectory + "/" + program
        if let user = runAs {
            return try Subprocess.run("/usr/sbin/runuser", ["-u", user, "--", path] + arguments)
        }
        return try Subprocess.run(path, arguments)
    }

    /// `RAPPORT_PG_BINDIR`, else the newest `/usr/lib/postgresql/N/bin`, else `pg_ctl` on `PATH`.
    static func findBinDirectory() -> String? {
        let fm = FileManager.default
        let hasPrograms = { (dir: String) in ["initdb", "pg_ctl", "postgres"].allSatisfy { fm.isExecutableFile(atPath: dir + "/" + $0) } }
        if let dir = ProcessInfo.processInfo.environment["RAPPORT_PG_BINDIR"] { return hasPrograms(dir) ? dir : nil }
        let versions = ((try? fm.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .compactMap(Int.init).sorted(by: >)
        for version in versions where hasPrograms("/usr/lib/postgresql/\(version)/bin") {
            return "/usr/lib/postgresql/\(version)/bin"
        }
        if let pgctl = Subprocess.which("pg_ctl") {
            let dir = URL(fileURLWithPath: pgctl).resolvingSymlinksInPath().deletingLastPathComponent().path
            if hasPrograms(dir) { return dir }
        }
        return nil
    }

    static func unprivilegedUser() throws -> String {
        for name in ["postgres", "rapport-postgres"] where getpwnam(name) != nil { return name }
        let result = try Subprocess.run("/usr/sbin/useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "rapport-postgres"])
        guard result.succeeded else { throw EmbeddedPostgresError.noUser("rapport-postgres") }
        return "rapport-postgres"
    }

    static func stableHash(_ text: String) -> UInt64 {
        text.utf8.reduce(14_695_981_039_346_656_037) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
    }
}

/// Why the embedded PostgreSQL could not be used.
public enum EmbeddedPostgresError: Error, CustomStringConvertible {
    case binariesMissing
    case notACluster(String)
    case noUser(String)
    case unreachable(path: String, user: String)
    case commandFailed(message: String, output: String)
    case inUse(String)

    public var description: String {
        switch self {
        case .binariesMissing:
            return "The PostgreSQL server programs (initdb, pg_ctl, postgres) were not found. Install them with "
                + "`apt-get install -y postgresql` (Debian, Ubuntu), set RAPPORT_PG_BINDIR to their folder, "
                + "or set DATABASE_URL to use a PostgreSQL server you run."
        case .notACluster(let path):
            return "\(path) is not empty but holds no PostgreSQL cluster; move it away or choose another --data-dir."
        case .noUser(let user):
            return "PostgreSQL refuses to run as root, and the system user `\(user)` to run it as could not be found or created."
        case .unreachable(let path, let user):
            return "The embedded PostgreSQL runs as the system user `\(user)`, which cannot reach \(path) "
                + "(a parent folder is not searchable by other users, /root for example). "
                + "Choose a data folder it can reach, such as --data-dir /var/lib/rapport."
        case .inUse(let path):
            return "Another `rapport serve` is using the data folder \(path); stop it first or choose another --data-dir."
        case .commandFailed(let message, let output):
            let tail = output.split(separator: "\n").suffix(8).joined(separator: "\n")
            return "\(message).\n\(tail)"
        }
    }
}
