import Foundation
import PackagePlugin

/// Writes `BuildCommit.swift` (`package let buildCommit = "<git commit>"`) before each build, so
/// `lmserve_build_info` names the commit the binary was built from.
///
/// The commit comes from `LMSERVE_COMMIT` if set (a container build without `.git`), else from
/// `git rev-parse HEAD` in the package directory, else it is "unknown" (no git, or not a
/// checkout). The file is only rewritten when the commit changes, so builds stay incremental.
@main
struct BuildCommit: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let file = output.appending(path: "BuildCommit.swift").path(percentEncoded: false)
        let package = context.package.directoryURL.path(percentEncoded: false)
        let script = """
            set -u
            commit="${LMSERVE_COMMIT:-$(git -C "$1" rev-parse HEAD 2>/dev/null || true)}"
            case "$commit" in *[!0-9a-zA-Z._-]*|'') commit=unknown ;; esac
            mkdir -p "$(dirname "$2")"
            line="package let buildCommit = \\"$commit\\""
            [ -f "$2" ] && [ "$(cat "$2")" = "$line" ] || printf '%s\\n' "$line" > "$2"
            """
        var environment: [String: String] = [:]
        if let commit = ProcessInfo.processInfo.environment["LMSERVE_COMMIT"] { environment["LMSERVE_COMMIT"] = commit }
        return [
            .prebuildCommand(
                displayName: "Recording the git commit", executable: URL(filePath: "/bin/sh"),
                arguments: ["-c", script, "build-commit", package, file], environment: environment,
                outputFilesDirectory: output)
        ]
    }
}
