import Foundation
import PackagePlugin

/// Gives the `rapport` binary the git commit it was built from, for `rapport --version`:
/// `BuildVersion.commit`, the short hash with `+changes` when the sources differ from it
/// (edited or new files), or `unknown` outside the package's own git checkout (a Docker
/// build, which copies no .git). Runs before every build, and
/// rewrites its file only when the commit changed, so a build with no change stays a no-op.
@main
struct EmbedVersion: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let folder = context.pluginWorkDirectoryURL.appendingPathComponent("Version")
        let script = #"""
            commit=unknown
            # Only the package's own repository counts (not one it was unpacked inside).
            if [ "$(git -C "$1" rev-parse --show-toplevel 2>/dev/null)" = "$(cd "$1" && pwd -P)" ]; then
              commit=$(git -C "$1" rev-parse --short=12 HEAD 2>/dev/null) || commit=unknown
              if [ "$commit" != unknown ] && [ -n "$(git -C "$1" status --porcelain -- Sources Migrations Package.swift 2>/dev/null)" ]; then
                commit="$commit+changes"
              fi
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
