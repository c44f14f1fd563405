#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Runs a program and waits for it, with nothing but standard input, output and error inherited.
///
/// Foundation's `Process` lets a grandchild (a PostgreSQL daemon started by `pg_ctl`) inherit
/// internal descriptors, after which `waitUntilExit()` may never return. This uses
/// `posix_spawn` with every descriptor above 2 closed, and output captured through a file.
public enum Subprocess {
    /// What a finished program left behind.
    public struct Result: Sendable {
        /// The exit status, or 128 + signal number if it was killed.
        public var status: Int32
        /// Standard output and standard error, interleaved.
        public var output: String
        public var succeeded: Bool { status == 0 }
    }

    /// Runs `executable` with `arguments` and waits for it to end.
    ///
    /// - Parameters:
    ///   - executable: an absolute path.
    ///   - arguments: the arguments, without the program name.
    ///   - environment: extra variables added to this process's environment.
    /// - Returns: the exit status and the combined output.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("rapport-subprocess-\(getpid())-\(UUID().uuidString)").path
        defer { unlink(outputPath) }
        let pid = try spawn(executable, arguments, environment: environment, outputPath: outputPath)
        let status = wait(pid)
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return Result(status: status, output: output)
    }

    /// Starts `executable` without waiting; output goes to `outputPath` (appended) or /dev/null.
    /// - Returns: the child's process id.
    public static func spawn(_ executable: String, _ arguments: [String], environment: [String: String] = [:], outputPath: String? = nil) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let out = outputPath ?? "/dev/null"
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        closeInheritedDescriptors(&actions)

        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard rc == 0 else {
            throw SubprocessError(executable: executable, reason: String(cString: strerror(rc)))
        }
        return pid
    }

    /// Waits for a child started with ``spawn(_:_:environment:outputPath:)``.
    /// - Returns: its exit status, or 128 + signal number.
    @discardableResult
    public static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// Adds "close every descriptor from 3 up" to `actions` (glibc 2.34+, looked up at run time
    /// because Swift's Glibc module does not export it).
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
            return
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap(Int32.init) where fd > 2 && fcntl(fd, F_GETFD) != -1 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
    }

    /// The absolute path of `name` found on `PATH`, or nil.
    public static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}

/// A program could not be started.
public struct SubprocessError: Error, CustomStringConvertible {
    public var executable: String
    public var reason: String
    public var description: String { "Could not start \(executable): \(reason)." }
}
