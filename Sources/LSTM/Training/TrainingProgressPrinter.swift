import Foundation

/// Renders `TrainingProgress` on standard error: a live one-line bar on a terminal, plain lines
/// every `plainInterval` seconds (and at each validation) otherwise.
package final class TrainingProgressPrinter {
    private let live: Bool
    private let plainInterval: Double
    private var lastPlain = -Double.infinity
    private var barShown = false
    private let write: (String) -> Void

    /// - Parameters:
    ///   - live: draw a bar redrawn in place (default: when standard error is a terminal).
    ///   - write: where text goes (default: standard error).
    package init(
        live: Bool = isatty(STDERR_FILENO) == 1, plainInterval: Double = 30,
        write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }
    ) {
        self.live = live
        self.plainInterval = plainInterval
        self.write = write
    }

    package func report(_ p: TrainingProgress) {
        switch p.event {
        case .training:
            if live {
                emit("\r\u{1B}[2K" + bar(p))
                barShown = true
            } else if p.elapsed - lastPlain >= plainInterval {
                lastPlain = p.elapsed
                line(status(p))
            }
        case .validated(let ppl, let improved):
            line(
                String(format: "epoch %d (%.0f%%): validation perplexity %.2f", p.epoch, p.epochFraction * 100, ppl)
                    + (improved ? " (best, checkpoint written)" : String(format: " (best %.2f)", p.bestValidationPerplexity ?? .nan)))
        case .learningRateDecayed:
            line(String(format: "no improvement: learning rate lowered to %.3g", p.learningRate))
        }
    }

    /// Ends a live bar so later output starts on its own line.
    package func finish() {
        if barShown { emit("\n") }
        barShown = false
    }

    private func line(_ text: String) {
        if barShown {
            emit("\r\u{1B}[2K")
            barShown = false
        }
        emit(text + "\n")
    }

    private func bar(_ p: TrainingProgress) -> String {
        let width = 20
        let filled = min(width, Int(p.epochFraction * Double(width)))
        let meter = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        return "epoch \(epochText(p)) [\(meter)] " + String(format: "%3.0f%%", p.epochFraction * 100) + " | " + details(p)
    }

    private func status(_ p: TrainingProgress) -> String {
        "epoch \(epochText(p)) " + String(format: "%.1f%%", p.epochFraction * 100) + " | " + details(p)
    }

    private func epochText(_ p: TrainingProgress) -> String {
        p.epochLimit.map { "\(p.epoch)/\($0)" } ?? "\(p.epoch)"
    }

    private func details(_ p: TrainingProgress) -> String {
        var parts = [
            String(format: "%.0f tok/s", p.tokensPerSecond),
            String(format: "loss %.3f", p.loss),
            "valid ppl " + (p.lastValidationPerplexity.map { String(format: "%.2f", $0) } ?? "-"),
            "elapsed " + clock(p.elapsed),
        ]
        if let r = p.remaining { parts.append("ETA " + clock(r)) }
        return parts.joined(separator: " | ")
    }

    private func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600
            ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    private func emit(_ text: String) { write(text) }
}
