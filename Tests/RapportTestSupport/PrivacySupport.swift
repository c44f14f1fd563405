import Foundation
import RapportStore

/// Checks a privacy export against Schemas/privacy-export.schema.json with Python's jsonschema
/// from scripts/test's environment (Tests/python/validate_export.py).
/// - Returns: the validator's findings (empty when the export is valid).
/// - Throws: when scripts/test's Python environment is not there.
public func exportSchemaProblems(_ path: String) async throws -> String? {
    guard let python = ProcessInfo.processInfo.environment["RAPPORT_TEST_PYTHON"] else {
        throw TestSetupError("RAPPORT_TEST_PYTHON is not set: run the tests with scripts/test.")
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let script = root.appendingPathComponent("Tests/python/validate_export.py").path
    let run = try await ChildProcess.run(python, [script, root.appendingPathComponent("Schemas/privacy-export.schema.json").path, path])
    return run.succeeded ? nil : run.output
}

extension TestDatabase {
    /// The whole database as pg_dump writes it, as the superuser: what is left on disk, read from outside Rapport.
    public func pgDump() async throws -> String {
        let bin = ProcessInfo.processInfo.environment["RAPPORT_TEST_PG_BINDIR"] ?? "/usr/lib/postgresql/15/bin"
        let url = superuserURL
        let run = try await ChildProcess.run(bin + "/pg_dump", ["-h", url.host, "-p", "\(url.port)", "-U", url.username, url.database])
        guard run.succeeded, run.output.contains("CREATE TABLE") else { throw TestSetupError("pg_dump failed: \(run.output.prefix(500))") }
        return run.output
    }
}
