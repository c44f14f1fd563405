import Foundation

// Usage: EmbedMigrationsTool OUTPUT.swift FILE.sql…  (each FILE in a folder named control or tenant)
// Writes `EmbeddedMigrations.files`: (scope, name, sql) for every file, as raw string literals.
let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: EmbedMigrationsTool OUTPUT FILE...\n".utf8))
    exit(2)
}
var source = "// Generated from Migrations/ by the EmbedMigrations plugin. Do not edit.\n"
source += "enum EmbeddedMigrations {\n    static let files: [(scope: String, name: String, sql: String)] = [\n"
for path in arguments.dropFirst() {
    let url = URL(fileURLWithPath: path)
    let sql = try String(contentsOf: url, encoding: .utf8)
    let scope = url.deletingLastPathComponent().lastPathComponent
    // Enough #s that no `"#…` run inside the file can end the literal.
    var longest = 0, run = 0
    for c in sql { run = c == "#" ? run + 1 : 0; longest = max(longest, run) }
    let hashes = String(repeating: "#", count: longest + 1)
    source += "        (\"\(scope)\", \"\(url.lastPathComponent)\", \(hashes)\"\"\"\n\(sql)\n\"\"\"\(hashes)),\n"
}
source += "    ]\n}\n"
// Rewrite only a changed file. SwiftPM rebuilds this tool whenever the build switches
// between debug and release (the plugin tools share one build plan), which reruns this
// command; a rewritten file, even identical, would recompile all of RapportStore.
if (try? String(contentsOfFile: output, encoding: .utf8)) != source {
    try source.write(toFile: output, atomically: true, encoding: .utf8)
}
