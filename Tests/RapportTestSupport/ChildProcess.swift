import Foundation
import RapportStore

/// Waiting for the programs a test starts, off the cooperative thread pool.
///
/// Swift Testing runs every test on the cooperative pool, which has one thread per core (two
/// here). A test that blocked one of them in `waitpid` while its child waited on a lock that
/// another test's in-process transaction held (such as the cluster-wide group role of tenants,
/// which the first tenant's transaction makes) left that transaction no thread to finish on:
/// once every thread was so blocked, the whole suite stopped, and CI ran out of time. So
/// a child is waited for on a thread of its own, and killed if it outlives its limit, which
/// turns a hang into a failure that names the command.
public enum ChildProcess {
    /// How long a child may run before it is killed: far beyond any the suite starts.
    public static let defaultLimit: Duration = .seconds(300)

    /// Waits for `pid` on a thread of its own; past `limit` the child is killed.
    /// - Returns: the exit status (128 + signal number if killed) and whether the limit killed it.
    public static func exit(of pid: pid_t, within limit: Duration = defaultLimit) async -> (status: Int32, timedOut: Bool) {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: reap(pid, within: limit))
            }
        }
    }

    /// What a finished program left behind.
    public struct Result: Sendable {
        /// The exit status, or 128 + signal number if it was killed.
        public var status: Int32
        /// Standard output and standard error, interleaved.
        public var output: String
        public var succeeded: Bool { status == 0 }
    }

    /// Runs `executable` like ``Subprocess/run(_:_:environment:)``, waiting off the pool.
    /// - Throws: ``TestSetupError`` naming the command if it had to be killed.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           within limit: Duration = defaultLimit) async throws -> Result {
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("rapport-child-\(getpid())-\(UUID().uuidString)").path
        defer { unlink(outputPath) }
        let pid = try Subprocess.spawn(executable, arguments, environment: environment, outputPath: outputPath)
        let (status, timedOut) = await exit(of: pid, within: limit)
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        if timedOut { throw TestSetupError(killedMessage(([executable] + arguments).joined(separator: " "), limit, output)) }
        return Result(status: status, output: output)
    }

    /// Sends SIGTERM and reaps the child on a thread of its own, without waiting: for a `defer`,
    /// which cannot `await`. A child still there after a minute is killed.
    public static func terminateInTheBackground(_ pid: pid_t) {
        kill(pid, SIGTERM)
        Thread.detachNewThread { _ = reap(pid, within: .seconds(60)) }
    }

    static func killedMessage(_ command: String, _ limit: Duration, _ output: String) -> String {
        "`\(command)` did not end within \(limit) and was killed; its output:\n\(output)"
    }

    /// Polls `waitpid` without reaping anything but `pid`, so the kill can never reach a process
    /// that has reused the number.
    private static func reap(_ pid: pid_t, within limit: Duration) -> (status: Int32, timedOut: Bool) {
        let deadline = ContinuousClock.now + limit
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { return (decode(status), false) }
            if reaped == -1 && errno != EINTR { return (-1, false) }
            if ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                return (Subprocess.wait(pid), true)
            }
            usleep(5_000)
        }
    }

    private static func decode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
