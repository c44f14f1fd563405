import Foundation
import RapportStore
import RapportTestSupport
import Testing

/// A build with no change is a no-op (issue 16): the migrations the build embeds in
/// RapportStore are rewritten only when they changed. SwiftPM relinks the embedding tool
/// whenever the build switches between debug and release and then reruns it; a rewritten
/// file, even an identical one, recompiled all of RapportStore (a minute in release).
@Suite struct BuildTests {
    @Test func theEmbeddedMigrationsAreRewrittenOnlyWhenTheyChange() async throws {
        let tool = URL(fileURLWithPath: RapportBinary.path).deletingLastPathComponent().appendingPathComponent("EmbedMigrationsTool").path
        try #require(FileManager.default.isExecutableFile(atPath: tool), "build the package first: \(tool)")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("embed-\(UUID().uuidString.prefix(8))")
        let control = folder.appendingPathComponent("control")
        try FileManager.default.createDirectory(at: control, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let sql = control.appendingPathComponent("0001_start.sql")
        try "CREATE TABLE t (id int);\n".write(to: sql, atomically: true, encoding: .utf8)
        let output = folder.appendingPathComponent("EmbeddedMigrations.swift").path

        func embed() async throws {
            let run = try await ChildProcess.run(tool, [output, sql.path])
            try #require(run.succeeded, "\(run.output)")
        }
        func identity() throws -> (inode: UInt64, modified: Date) {
            let attributes = try FileManager.default.attributesOfItem(atPath: output)
            return ((attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0, attributes[.modificationDate] as? Date ?? .distantPast)
        }

        try await embed()
        let first = try identity()
        #expect(try String(contentsOfFile: output, encoding: .utf8).contains("CREATE TABLE t (id int);"))
        try await Task.sleep(for: .milliseconds(50))
        try await embed()
        let again = try identity()
        #expect(again.inode == first.inode && again.modified == first.modified, "an unchanged file was rewritten")

        try "CREATE TABLE t (id bigint);\n".write(to: sql, atomically: true, encoding: .utf8)
        try await embed()
        #expect(try String(contentsOfFile: output, encoding: .utf8).contains("CREATE TABLE t (id bigint);"))
    }

    /// `rapport --version` names the commit it was built from (issue 16).
    @Test func theVersionNamesTheCommit() async throws {
        let run = try await RapportBinary.run(["--version"])
        let line = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let commit = try #require(line.wholeMatch(of: /0\.1\.0 \(commit ([0-9a-f]{12})(\+changes)?\)/)?.output.1, "\(run)")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let known = try await ChildProcess.run("/usr/bin/git", ["-C", root, "cat-file", "-e", "\(commit)^{commit}"])
        #expect(known.succeeded, "\(commit) is not a commit of this repository")
    }
}

/// The shell completion the README documents (issue 16).
@Suite struct ShellCompletionTests {
    @Test(arguments: ["bash", "zsh", "fish"])
    func theScriptNamesTheCommands(shell: String) async throws {
        let run = try await RapportBinary.run(["--generate-completion-script", shell])
        #expect(run.status == 0, "\(run.stderr)")
        for command in ["tenants", "query", "repl", "privacy"] { #expect(run.stdout.contains(command), "\(shell): \(command)") }
    }
}
