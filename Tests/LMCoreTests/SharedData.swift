import Foundation

/// Locates `../shared` (read in place, never copied) from this source file's position.
enum SharedData {
    static let root: URL = {
        if let env = ProcessInfo.processInfo.environment["LMSERVE_SHARED"] { return URL(fileURLWithPath: env) }
        // Tests/LMCoreTests/SharedData.swift → repo root → ../shared
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
    }()

    static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    static func lines(_ relative: String) throws -> [Substring] {
        let text = try String(contentsOf: url(relative), encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}
