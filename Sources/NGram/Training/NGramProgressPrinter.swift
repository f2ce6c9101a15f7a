import Foundation

/// What an N-gram training run reports as it goes, through `NGramTrainer.train`'s `progress`
/// callback, on the training thread. The library prints nothing itself.
package enum NGramTrainingEvent: Sendable, Equatable {
    /// A stage began ("reading", "counting", …).
    case stage(String)
    /// Reading advanced by `bytes`; `tokens` words have been read in all.
    case read(bytes: Int, tokens: Int)
    /// The run is over: the closing summary line.
    case finished(String)
}

/// Renders `NGramTrainingEvent`s for `lmserve train ngram`: a live bar (stage, percent,
/// tokens/s) on a terminal, a plain line every `lineInterval` seconds otherwise. Text goes to
/// `write`; one instance serves one run, on the thread that trains.
package final class NGramProgressPrinter {
    private let isTTY: Bool
    private let totalBytes: Int?
    private let lineInterval: TimeInterval
    private let write: (String) -> Void
    private var bytes = 0
    private var tokens = 0
    private var stage = "starting"
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var readingSeconds: TimeInterval?

    /// - Parameters:
    ///   - totalBytes: the input size when known (files), for the percentage.
    ///   - isTTY: redraw one line in place (a terminal) rather than print plain lines.
    ///   - write: where the text goes (the command passes standard error).
    package init(totalBytes: Int?, isTTY: Bool, lineInterval: TimeInterval = 5, write: @escaping (String) -> Void) {
        self.totalBytes = totalBytes
        self.isTTY = isTTY
        self.lineInterval = lineInterval
        self.write = write
    }

    package func report(_ event: NGramTrainingEvent) {
        switch event {
        case .stage(let name):
            if isTTY && lastDraw != .distantPast { write("\r\u{1B}[K") }
            if stage == "reading" { readingSeconds = Date().timeIntervalSince(start) }
            stage = name
            lastDraw = .distantPast
            draw(force: true)
        case .read(let n, let total):
            bytes += n
            tokens = total
            draw(force: false)
        case .finished(let summary):
            if isTTY { write("\r\u{1B}[K") }
            write(String(format: "%@ (%.2f s)\n", summary, Date().timeIntervalSince(start)))
        }
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
}
