import ArgumentParser
import Foundation
import LMCore
import NGram

/// `lmserve train …`: one subcommand per model family.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a language model from text.",
        subcommands: [
            TrainNGramCommand.self,
            TrainLSTMCommand.self,
        ]
    )
}

/// `lmserve train ngram`: count n-grams and write a smoothed ARPA model.
struct TrainNGramCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ngram",
        abstract: "Train an N-gram model (ARPA, optionally gzip-compressed) from text, one sentence a line.")

    @Option(name: [.customShort("N"), .long], help: "Model order N (1–\(NGramTrainingOptions.maximumOrder)).")
    var order: Int

    @Option(name: .shortAndLong, help: "Model file: .arpa, .arpa.gz or .lmb (the binary format).")
    var output: String

    @Option(help: "Smoothing: \(NGramSmoothing.allCases.map(\.rawValue).joined(separator: ", ")).")
    var smoothing: String = NGramSmoothing.mkn.rawValue

    @Option(help: "Tokenizer: whitespace (KenLM's rule) or basic.")
    var tokenizer: String = Tokenizer.whitespace.rawValue

    @Option(parsing: .upToNextOption, help: "Pruning thresholds for orders 2, 3, …: drop n-grams with count ≤ T.")
    var prune: [String] = []

    @Option(name: .customLong("min-count"), help: "Map words seen fewer than K times to <unk>.")
    var minCount: Int = 1

    @Option(help: "Held-out text for jm (repeatable; default: every 10th training sentence).")
    var heldout: [String] = []

    @Flag(name: .customLong("discount-fallback"),
          help: "Use discounts D1 D2 D3+ (the three numbers after the flag; default 0.5 1 1.5) for orders whose Kneser-Ney discounts are invalid.")
    var discountFallback = false

    @Option(help: "Memory bound of the whole run, e.g. 256M, 2G: counting spills sorted runs beyond it, and when the distinct n-grams do not fit, estimation and writing run as passes over sorted files in --temp-dir (the same model, byte for byte).")
    var memory: String = "1G"

    @Option(name: [.customLong("temp-dir"), .customLong("temp")], help: "Folder for spill and sort files (default $TMPDIR or /tmp).")
    var tempDir: String?

    @Option(name: .customLong("add-k"), help: "k for the addk smoothing.")
    var addK: Double = 1

    @Flag(name: .shortAndLong, help: "No progress on stderr.")
    var quiet = false

    @Argument(help: "Training text files; - reads stdin.")
    var text: [String] = []

    mutating func run() throws {
        guard let s = NGramSmoothing(rawValue: smoothing) else {
            throw ValidationError("unknown smoothing '\(smoothing)'; use one of \(NGramSmoothing.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let t = Tokenizer(rawValue: tokenizer) else {
            throw ValidationError("unknown tokenizer '\(tokenizer)'; use whitespace or basic")
        }
        guard let bytes = Self.parseSize(memory) else {
            throw ValidationError("--memory takes a size such as 800M or 2G, got '\(memory)'")
        }
        // Options taking several numbers stop at the first value that is not a number: the rest
        // are training texts (`--prune 0 1 train.txt`).
        let (pruneValues, afterPrune) = Self.leadingNumbers(prune, max: NGramTrainingOptions.maximumOrder)
        var inputs = afterPrune + text
        // `--discount-fallback D1 D2 D3`: the numbers land among the texts; take them back.
        var fallback: [Double] = []
        if discountFallback {
            let candidates = inputs.prefix(3).prefix { Double($0) != nil && !FileManager.default.fileExists(atPath: $0) }
            (fallback, _) = Self.leadingNumbers(Array(candidates), max: 3)
            inputs.removeFirst(fallback.count)
            guard fallback.isEmpty || fallback.count == 3 else {
                throw ValidationError("--discount-fallback takes three discounts D1 D2 D3+ (or none for 0.5 1 1.5)")
            }
        }
        var options = NGramTrainingOptions(order: order)
        options.smoothing = s
        options.tokenizer = t
        options.prune = try pruneValues.map { v in
            guard v >= 0, v < Double(UInt32.max), v == v.rounded() else {
                throw ValidationError("--prune takes whole counts, got \(v)")
            }
            return UInt32(v)
        }
        options.minCount = minCount
        options.heldout = heldout
        options.memoryBytes = bytes
        options.temporaryDirectory = tempDir
        options.addK = addK
        if discountFallback {
            options.discountFallback = fallback.isEmpty ? [0.5, 1, 1.5] : fallback
        }
        if inputs.isEmpty { inputs = ["-"] }
        let total = inputs.contains("-") ? nil : inputs.reduce(0) { sum, p in
            sum + ((try? FileManager.default.attributesOfItem(atPath: p)[.size] as? Int) ?? 0)
        }
        let printer = quiet ? nil : NGramProgressPrinter(totalBytes: total, isTTY: isatty(STDERR_FILENO) != 0) {
            FileHandle.standardError.write(Data($0.utf8))
        }
        // Under a file size limit (RLIMIT_FSIZE) a write past it fails with EFBIG, reported like a
        // full disk, instead of the signal killing the process with its temporary files in place.
        signal(SIGXFSZ, SIG_IGN)
        do {
            let summary = try NGramTrainer.train(inputs: inputs, output: output, options: options, progress: printer?.report)
            if !quiet {
                for (k, d) in summary.discounts.enumerated() {
                    FileHandle.standardError.write(Data(String(format: "%d D1=%g D2=%g D3+=%g\n", k + 1, d[0], d[1], d[2]).utf8))
                }
                if !summary.lambdas.isEmpty {
                    FileHandle.standardError.write(Data(("lambdas " + summary.lambdas.map { String(format: "%.4f", $0) }.joined(separator: " ") + "\n").utf8))
                }
            }
        } catch let error as NGramTrainingError {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Up to `max` leading values of `values` that parse as numbers, and the values after them.
    static func leadingNumbers(_ values: [String], max: Int) -> ([Double], [String]) {
        var numbers: [Double] = []
        var i = 0
        while i < values.count, numbers.count < max, let v = Double(values[i]) {
            numbers.append(v)
            i += 1
        }
        return (numbers, Array(values[i...]))
    }

    /// Bytes in `text`: a number with an optional K, M, G or T suffix (powers of 1024).
    static func parseSize(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        if let last = t.last, let unit = units[last] {
            guard let v = Double(t.dropLast()), v > 0 else { return nil }
            return Int(v * Double(unit))
        }
        guard let v = Int(t.hasSuffix("B") ? String(t.dropLast()) : t), v > 0 else { return nil }
        return v
    }
}
