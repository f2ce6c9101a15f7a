#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import LMCore

/// What a training run produced, for the command's closing line and for tests.
package struct NGramTrainingSummary: Sendable {
    /// N-grams written per order (index 0 = unigrams).
    package let counts: [Int]
    /// Per order D1, D2, D3+ (`mkn`, `kn`); empty for other smoothings.
    package let discounts: [[Double]]
    /// Per order λ (`jm`); empty for other smoothings.
    package let lambdas: [Double]
    /// Word tokens read (`</s>` not included).
    package let tokens: Int
    package let sentences: Int
    /// Count runs spilled to temporary files because of the memory bound.
    package let spilledRuns: Int
    /// Token ids (`</s>` included) spilled to a temporary file because of the memory bound.
    package let spilledTokens: Int
    /// Passes over sorted files when the n-grams did not fit the memory bound; 0 = estimated in memory.
    package let estimationPasses: Int
    /// Sorted runs the on-disk estimation's sorts spilled.
    package let sortedRuns: Int
}

/// Trains an N-gram model from text and writes it as ARPA (`.arpa`, or gzip for `.gz`).
package enum NGramTrainer {
    /// Trains on `inputs` (paths, `-` = stdin; one sentence a line) and writes `output`
    /// atomically: a temporary file beside it, renamed when complete.
    package static func train(
        inputs: [String], output: String, options: NGramTrainingOptions,
        progress: ((NGramTrainingEvent) -> Void)? = nil
    ) throws -> NGramTrainingSummary {
        try options.validate()
        guard !inputs.isEmpty else { throw NGramTrainingError.invalidOption("no training text given") }
        let temp = try reserveTemporary(beside: output)
        var done = false
        defer { if !done { unlink(temp) } }

        progress?(.stage("reading"))
        let tempDir = options.temporaryDirectory ?? ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var table = TrainingVocabulary()
        // Token ids (4 bytes each) stay in memory up to 16 MiB or half the memory bound, whichever
        // is smaller; the rest goes to a temporary file that counting reads back sequentially.
        let stream = TrainingTokenStream(limit: min(options.memoryBytes / 8, 1 << 22), temporaryDirectory: tempDir)
        try TrainingCorpusReader(tokenizer: options.tokenizer, addWords: true).read(inputs, into: &table, stream: stream, progress: progress)
        guard stream.words > 0 else { throw NGramTrainingError.emptyCorpus }
        let (words, remap) = try applyMinCount(options.minCount, table: table, stream: stream)

        guard let layout = CountKeyLayout(vocabularySize: words.count, order: options.order) else {
            throw NGramTrainingError.vocabularyTooLarge(words: words.count, order: options.order)
        }
        var estimator = NGramEstimator(smoothing: options.smoothing, options: options)
        if options.smoothing == .jm {
            progress?(.stage("fitting interpolation weights"))
            estimator.lambdas = try fitLambdas(
                options, layout: layout, words: words, stream: stream, remap: remap, table: table, tempDir: tempDir)
        }

        progress?(.stage("counting"))
        var counter = NGramCounter(layout: layout, order: options.order, memoryBytes: options.memoryBytes, temporaryDirectory: tempDir)
        defer { counter.removeRuns() }
        try counter.count(stream, remap: remap)
        stream.release()
        if counter.spilledRuns > 0 { progress?(.stage("merging \(counter.spilledRuns + 1) count runs")) }
        let gzip = output.hasSuffix(".gz")
        let counts: [Int]
        var estimationPasses = 0
        var sortedRuns = 0
        if counter.spilledRuns == 0 && inMemoryBytes(distinct: counter.distinctInMemory, order: options.order) <= options.memoryBytes {
            let top = try counter.finish()
            progress?(.stage("adjusting counts"))
            var levels = CountLevels(top: consume top, order: options.order, layout: layout, vocabularySize: words.count)
            progress?(.stage("estimating probabilities"))
            try estimator.estimate(&levels)
            progress?(.stage("writing"))
            try TrainingARPAWriter.write(levels, to: temp, gzip: gzip, words: words)
            counts = (1...options.order).map { k in
                (0..<levels[k].count).filter { levels.isReal(k, $0) && levels[k].isKept($0) }.count
            }
        } else {
            // The distinct n-grams do not fit the memory bound: estimate in passes over sorted files.
            let scratch = TrainingScratch(directory: tempDir, memoryBytes: options.memoryBytes)
            defer { scratch.removeAll() }
            var disk = DiskEstimation(
                layout: layout, order: options.order, vocabularySize: words.count, options: options,
                scratch: scratch, progress: progress)
            try disk.adjustCounts { emit in try counter.finish(emit) }
            try estimator.prepare(vocabularySize: words.count, order: options.order) { k, adjusted, limit in
                disk.countsOfCounts(k, adjusted: adjusted, limit: limit)
            }
            var arpa = try TrainingARPAWriter(path: temp, gzip: gzip, layout: layout, words: words)
            do {
                try disk.estimate(estimator, into: &arpa)
            } catch {
                arpa.abandon()
                throw error
            }
            counts = disk.kept
            estimationPasses = disk.passes
            sortedRuns = disk.sortedRuns
        }

        if output.hasSuffix(".lmb") {
            // The binary format is built from the ARPA text, as `lmserve convert` does; the
            // writer renames its own temporary file into place.
            let model = try NGramModel.loadARPA(path: temp, logger: Logger(label: "lmserve.train", factory: { _ in SwiftLogNoOpLogHandler() }))
            try model.writeBinary(to: output)
        } else {
            done = true  // moved into place, or removed by `moveIntoPlace` on failure
            do throws(FileOutput.Failure) {
                try FileOutput.moveIntoPlace(temp, to: output)
            } catch {
                throw NGramTrainingError.unwritableOutput(path: output, reason: error.reason)
            }
        }
        progress?(.finished("wrote \(output): " + counts.enumerated().map { "\($0.offset + 1)-grams \($0.element)" }.joined(separator: ", ")))
        return NGramTrainingSummary(
            counts: counts, discounts: estimator.discounts, lambdas: estimator.lambdas,
            tokens: stream.words, sentences: stream.sentences, spilledRuns: counter.spilledRuns,
            spilledTokens: stream.spilledIDs, estimationPasses: estimationPasses, sortedRuns: sortedRuns)
    }

    /// Bytes the in-memory estimation needs for `distinct` highest-order n-grams: every order has
    /// at most as many entries, each with a key, counts, suffix index, probability, backoff and
    /// flag (45 bytes) plus 24 while the level below is derived.
    static func inMemoryBytes(distinct: Int, order: Int) -> Int {
        distinct * order * 69
    }

    /// Creates an empty temporary file beside `output` (mode 0666 minus the umask, as `output`
    /// will have), proving the folder writable before training.
    static func reserveTemporary(beside output: String) throws -> String {
        do throws(FileOutput.Failure) {
            let (fd, path) = try FileOutput.createTemporary(beside: output)
            close(fd)
            return path
        } catch {
            throw NGramTrainingError.unwritableOutput(path: output, reason: error.reason)
        }
    }

    /// Maps words seen fewer than `minCount` times to `<unk>` and renumbers the rest densely;
    /// returns every new id's bytes and the old → new id map (nil when nothing changes).
    static func applyMinCount(_ minCount: Int, table: TrainingVocabulary, stream: TrainingTokenStream) throws -> ([[UInt8]], [UInt32]?) {
        let all = (0..<table.count).map { Array(table.arena[table.offsets[$0]..<table.offsets[$0 + 1]]) }
        guard minCount > 1 else { return (all, nil) }
        var freq = [Int](repeating: 0, count: table.count)
        try stream.forEachChunk { chunk in
            for id in chunk { freq[Int(id)] += 1 }
        }
        var remap = [UInt32](repeating: TrainingVocabulary.unk, count: table.count)
        var words: [[UInt8]] = []
        for id in 0..<table.count where id <= Int(TrainingVocabulary.eos) || freq[id] >= minCount {
            remap[id] = UInt32(words.count)
            words.append(all[id])
        }
        return (words, remap)
    }

    /// λ per order for `jm`: EM on `--heldout` against the full counts, or on every 10th sentence
    /// against counts of the other nine.
    static func fitLambdas(
        _ options: NGramTrainingOptions, layout: CountKeyLayout, words: [[UInt8]], stream: TrainingTokenStream,
        remap: [UInt32]?, table: TrainingVocabulary, tempDir: String
    ) throws -> [Double] {
        var counter = NGramCounter(layout: layout, order: options.order, memoryBytes: options.memoryBytes, temporaryDirectory: tempDir)
        defer { counter.removeRuns() }
        var heldout: [UInt32] = []
        if options.heldout.isEmpty {
            try counter.count(stream, remap: remap, include: { $0 % 10 != 9 })
            var sentence = 0
            try stream.forEachChunk { chunk in
                for raw in chunk {
                    let id = remap?[Int(raw)] ?? raw
                    if sentence % 10 == 9 { heldout.append(id) }
                    if id == TrainingVocabulary.eos { sentence += 1 }
                }
            }
        } else {
            try counter.count(stream, remap: remap)
        stream.release()
            var t = table
            let held = TrainingTokenStream(limit: Int.max / 2, temporaryDirectory: tempDir)
            try TrainingCorpusReader(tokenizer: options.tokenizer, addWords: false).read(options.heldout, into: &t, stream: held, progress: nil)
            try held.forEachChunk { chunk in
                for id in chunk { heldout.append(remap?[Int(id)] ?? id) }
            }
        }
        guard !heldout.isEmpty else { throw NGramTrainingError.invalidOption("the held-out text for jm is empty") }
        let levels = CountLevels(top: try counter.finish(), order: options.order, layout: layout, vocabularySize: words.count)
        return JelinekMercerEM(iterations: options.emIterations).fit(levels, heldout: heldout)
    }
}
