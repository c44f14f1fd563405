import Foundation
import PackagePlugin

/// Gives the `rapport` binary the git commit it was built from, for `rapport --version`:
/// `BuildVersion.commit`, the short hash with `+changes` when the work tree differs from it,
/// or `unknown` outside a git checkout (a Docker build). Runs before every build, and
/// rewrites its file only when the commit changed, so a build with no change stays a no-op.
@main
struct EmbedVersion: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let folder = context.pluginWorkDirectoryURL.appendingPathComponent("Version")
        let script = #"""
            commit=$(git -C "$1" rev-parse --short=12 HEAD 2>/dev/null) || commit=unknown
            if [ "$commit" != unknown ] && ! git -C "$1" diff --quiet HEAD -- Sources Migrations Package.swift 2>/dev/null; then
              commit="$commit+changes"
            fi
            mkdir -p "$2"
            text="enum BuildVersion { static let commit = \"$commit\" }"
            [ "$(cat "$2/BuildVersion.swift" 2>/dev/null)" = "$text" ] || printf '%s\n' "$text" > "$2/BuildVersion.swift"
            """#
        return [
            .prebuildCommand(
                displayName: "Reading the git commit",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "sh", context.package.directoryURL.path, folder.path],
                outputFilesDirectory: folder)
        ]
    }
}
