import Testing

@testable import LSTM

@Suite struct TrainingProgressPrinterTests {
    final class Sink {
        var text = ""
    }

    func progress(_ event: TrainingProgress.Event, elapsed: Double) -> TrainingProgress {
        TrainingProgress(
            event: event, epoch: 2, epochLimit: 5, epochFraction: 0.5, tokensPerSecond: 1234, loss: 4.5,
            lastValidationPerplexity: 80.25, bestValidationPerplexity: 80.25, learningRate: 0.002, elapsed: elapsed,
            remaining: 75)
    }

    @Test func plainLinesAreRateLimitedAndValidationsAlwaysShow() {
        let sink = Sink()
        let printer = TrainingProgressPrinter(live: false, plainInterval: 30) { sink.text += $0 }
        printer.report(progress(.training, elapsed: 1))
        printer.report(progress(.training, elapsed: 10))
        printer.report(progress(.training, elapsed: 40))
        printer.report(progress(.validated(perplexity: 79.5, improved: true), elapsed: 41))
        printer.report(progress(.learningRateDecayed, elapsed: 41))
        let lines = sink.text.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[0] == "epoch 2/5 50.0% | 1234 tok/s | loss 4.500 | valid ppl 80.25 | elapsed 0:01 | ETA 1:15")
        #expect(lines[2].contains("validation perplexity 79.50 (best, checkpoint written)"))
        #expect(lines[3].contains("learning rate lowered to 0.002"))
        #expect(!sink.text.contains("\r"))
    }

    @Test func liveBarRedrawsInPlace() {
        let sink = Sink()
        let printer = TrainingProgressPrinter(live: true) { sink.text += $0 }
        printer.report(progress(.training, elapsed: 1))
        printer.report(progress(.training, elapsed: 2))
        printer.finish()
        #expect(sink.text.components(separatedBy: "\r\u{1B}[2K").count == 3)
        #expect(sink.text.contains("epoch 2/5 [##########..........]  50% | 1234 tok/s"))
        #expect(sink.text.hasSuffix("\n"))
    }
}
