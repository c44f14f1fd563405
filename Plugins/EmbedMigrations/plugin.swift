import Foundation
import PackagePlugin

/// Compiles the repository's `Migrations/control/*.sql` and `Migrations/tenant/*.sql` into
/// RapportStore as string constants, so the `rapport` binary carries its migrations.
@main
struct EmbedMigrations: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let root = context.package.directoryURL.appendingPathComponent("Migrations")
        var inputs: [URL] = []
        for scope in ["control", "tenant"] {
            let folder = root.appendingPathComponent(scope)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            inputs += names.filter { $0.hasSuffix(".sql") }.sorted().map { folder.appendingPathComponent($0) }
        }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("EmbeddedMigrations.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) migrations",
                executable: try context.tool(named: "EmbedMigrationsTool").url,
                arguments: [output.path] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output])
        ]
    }
}
