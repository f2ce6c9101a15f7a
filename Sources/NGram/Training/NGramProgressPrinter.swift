#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Training progress on stderr: a live bar (stage, percent, tokens/s) when stderr is a terminal,
/// a plain line every few seconds otherwise.
package final class TrainingProgress: @unchecked Sendable {
    private let isTTY: Bool
    private let totalBytes: Int?
    private var bytes = 0
    private var tokens = 0
    private var stage = "starting"
    private let start = Date()
    private var stageStart = Date()
    private var lastDraw = Date.distantPast
    private var readingSeconds: TimeInterval?
    private let lineInterval: TimeInterval

    /// - Parameter totalBytes: the input size when known (files), for the percentage.
    package init(totalBytes: Int?, isTTY: Bool = isatty(2) != 0, lineInterval: TimeInterval = 5) {
        self.totalBytes = totalBytes
        self.isTTY = isTTY
        self.lineInterval = lineInterval
    }

    package func begin(_ stage: String) {
        if isTTY && lastDraw != .distantPast { write("\r\u{1B}[K") }
        if self.stage == "reading" { readingSeconds = Date().timeIntervalSince(start) }
        self.stage = stage
        stageStart = Date()
        lastDraw = .distantPast
        draw(force: true)
    }

    func advance(bytes n: Int) {
        bytes += n
        draw(force: false)
    }

    func setTokens(_ n: Int) {
        tokens = n
        draw(force: false)
    }

    package func finish(_ summary: String) {
        if isTTY { write("\r\u{1B}[K") }
        let secs = Date().timeIntervalSince(start)
        write(String(format: "%@ (%.2f s)\n", summary, secs))
    }

    private func draw(force: Bool) {
        let now = Date()
        let interval = isTTY ? 0.2 : lineInterval
        guard force || now.timeIntervalSince(lastDraw) >= interval else { return }
        lastDraw = now
        let elapsed = max(now.timeIntervalSince(start), 1e-6)
        // Tokens per second of reading (the only stage that sees tokens go by).
        let rate = Double(tokens) / max(readingSeconds ?? elapsed, 1e-6)
        var text = "[\(stage)]"
        if stage == "reading", let total = totalBytes, total > 0 {
            let frac = min(1, Double(bytes) / Double(total))
            if isTTY {
                let width = 30
                let filled = Int(frac * Double(width))
                text += " [" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "]"
            }
            text += String(format: " %3.0f%%", frac * 100)
        }
        if tokens > 0 { text += String(format: " %d tokens, %.0f tokens/s", tokens, rate) }
        text += String(format: " %.1f s", elapsed)
        write(isTTY ? "\r\u{1B}[K" + text : text + "\n")
    }

    private func write(_ s: String) {
        var s = s
        s.withUTF8 { p in
            var off = 0
            while off < p.count {
                let n = trainingWrite(2, p.baseAddress! + off, p.count - off)
                if n <= 0 { break }
                off += n
            }
        }
    }
}
