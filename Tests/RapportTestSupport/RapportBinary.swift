import Foundation
import RapportStore

/// The built `rapport` executable, run as a user would run it.
public enum RapportBinary {
    /// `RAPPORT_BIN`, else `.build/debug/rapport` in the package.
    public static var path: String {
        if let path = ProcessInfo.processInfo.environment["RAPPORT_BIN"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/rapport").path
    }

    /// Runs `rapport ARGS…` to completion, with standard output and standard error kept apart,
    /// waiting off the cooperative pool (``ChildProcess``).
    /// - Throws: ``TestSetupError`` if it outlived `limit` and was killed.
    public static func run(_ arguments: [String], environment: [String: String] = [:],
                           within limit: Duration = ChildProcess.defaultLimit) async throws -> (status: Int32, stdout: String, stderr: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rapport-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out").path
        let err = folder.appendingPathComponent("err").path
        // A shell keeps the two streams apart; arguments are passed as positional parameters, never parsed.
        let pid = try Subprocess.spawn("/bin/sh", ["-c", "exec \"$0\" \"$@\" >'\(out)' 2>'\(err)'", path] + arguments, environment: environment)
        let (status, timedOut) = await ChildProcess.exit(of: pid, within: limit)
        let stdout = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        if timedOut { throw TestSetupError(ChildProcess.killedMessage("rapport " + arguments.joined(separator: " "), limit, stderr)) }
        return (status, stdout, stderr)
    }
}
