/// Estimation in bounded memory, as passes over sorted files (the way lmplz works): the result is
/// bit-for-bit that of the in-memory `CountLevels` + `NGramEstimator.estimate` path, because every
/// context goes through the same `NGramEstimator.group` with the same numbers in the same order.
///
/// Files hold `StreamEntry`s (32 bytes). The passes, for order N:
/// 1. the merged N-gram counts → level N in key order (context order), and sorted by suffix;
/// 2. … N. level k sorted by suffix → level k−1 with raw counts summed and adjusted counts (distinct
///    left extensions), in key order, while sorting level k−1 by suffix for the next pass;
/// then unigram probabilities, and for each order k ≥ 2 three passes: level k re-sorted by suffix
/// (key rotated so the suffix leads), joined with the (k−1)-gram probabilities and sorted back to
/// context order, then each context's extensions estimated while the (k−1)-grams are written to
/// the ARPA file with their backoff weights (γ of the contexts, which come in the same order);
/// last, the N-grams are written. Level files are removed as soon as they are read.
struct DiskEstimation {
    let layout: CountKeyLayout
    let order: Int
    let vocabularySize: Int
    let options: NGramTrainingOptions
    let scratch: TrainingScratch
    let progress: ((NGramTrainingEvent) -> Void)?
    /// Per order (index 0 = unigrams): real, kept n-grams (the ARPA counts).
    private(set) var kept: [Int]
    /// Per order: counts-of-counts n_0 … n_6 of real n-grams, adjusted and raw.
    private var adjustedCounts: [[UInt64]]
    private var rawCounts: [[UInt64]]
    /// Per order: the level's file (key order) until estimation reads it.
    private var levels: [String]
    private(set) var passes = 0
    var totalPasses: Int { 4 * order - 1 }
    /// Runs the passes' sorters spilled.
    private(set) var sortedRuns = 0

    init(layout: CountKeyLayout, order: Int, vocabularySize: Int, options: NGramTrainingOptions,
         scratch: TrainingScratch, progress: ((NGramTrainingEvent) -> Void)?) {
        self.layout = layout
        self.order = order
        self.vocabularySize = vocabularySize
        self.options = options
        self.scratch = scratch
        self.progress = progress
        kept = [Int](repeating: 0, count: order)
        adjustedCounts = [[UInt64]](repeating: [UInt64](repeating: 0, count: 7), count: order)
        rawCounts = adjustedCounts
        levels = [String](repeating: "", count: order)
    }

    private mutating func pass(_ text: String) {
        passes += 1
        progress?(.stage("pass \(passes)/\(totalPasses): \(text)"))
    }

    @inline(__always)
    private func isReal(_ k: Int, _ key: CountKey) -> Bool {
        k == 1 || layout.word(key, 1) != TrainingVocabulary.bos
    }

    @inline(__always)
    private func isKept(_ k: Int, _ raw: UInt32) -> Bool {
        let t = options.pruneThreshold(k)
        return t == 0 || raw > t
    }

    /// n_0 … n_limit of order `k`'s real n-grams, of adjusted or raw counts.
    func countsOfCounts(_ k: Int, adjusted: Bool, limit: Int) -> [UInt64] {
        Array((adjusted ? adjustedCounts : rawCounts)[k - 1].prefix(limit + 1))
    }

    private mutating func finish(_ sorter: EntrySorter, what: String) throws -> any EntrySource {
        sortedRuns += sorter.spilledRuns
        return try sorter.finish { runs in progress?(.stage("merging \(runs) sorted runs of \(what)")) }
    }

    // MARK: Adjusted counts

    /// Passes 1 … N: `top` calls its argument with every N-gram and its count in key order.
    mutating func adjustCounts(_ top: ((CountedNGram) throws -> Void) throws -> Void) throws {
        pass("merging \(order)-gram counts")
        var specials = [TrainingVocabulary.unk, TrainingVocabulary.bos].map { layout.setting(.zero, 0, $0) }
        var writer = try EntryWriter(scratch, prefix: "lmserve-level")
        var sorter: EntrySorter? = order > 1 ? EntrySorter(scratch) : nil
        try top { c in
            let e = StreamEntry(key: c.key, raw: c.count, adjusted: c.count)
            try emit(e, order: order, to: writer, specials: &specials)
            try sorter?.append(StreamEntry(key: layout.droppingFirst(c.key), raw: c.count))
        }
        try closeLevel(order, writer, specials: &specials)
        for k in stride(from: order - 1, through: 1, by: -1) {
            pass("\(k + 1)-grams sorted by suffix → adjusted \(k)-gram counts")
            let source = try finish(sorter!, what: "\(k + 1)-gram suffixes")
            sorter = k > 1 ? EntrySorter(scratch) : nil
            writer = try EntryWriter(scratch, prefix: "lmserve-level")
            var current: StreamEntry?
            var extensions: UInt32 = 0
            func flush(_ e: StreamEntry) throws {
                var lower = e
                lower.adjusted = layout.word(e.key, 0) == TrainingVocabulary.bos ? e.raw : extensions
                try emit(lower, order: k, to: writer, specials: &specials)
                try sorter?.append(StreamEntry(key: layout.droppingFirst(lower.key), raw: lower.raw))
            }
            while let e = try source.next() {
                if current?.key == e.key {
                    current!.raw &+= e.raw
                    extensions += 1
                } else {
                    if let c = current { try flush(c) }
                    current = StreamEntry(key: e.key, raw: e.raw)
                    extensions = 1
                }
            }
            if let c = current { try flush(c) }
            try closeLevel(k, writer, specials: &specials)
        }
    }

    /// Writes one entry of order `k`, with its statistics; unigrams get `<unk>` and `<s>` (count
    /// 0) before them when unseen, as `CountLevels` inserts them.
    private mutating func emit(_ e: StreamEntry, order k: Int, to writer: EntryWriter, specials: inout [CountKey]) throws {
        if k == 1 {
            while let s = specials.first, s <= e.key {
                specials.removeFirst()
                if s < e.key { try record(StreamEntry(key: s), order: 1, to: writer) }
            }
        }
        try record(e, order: k, to: writer)
    }

    private mutating func record(_ e: StreamEntry, order k: Int, to writer: EntryWriter) throws {
        if isReal(k, e.key) {
            if isKept(k, e.raw) { kept[k - 1] += 1 }
            if e.adjusted >= 1 && e.adjusted <= 6 { adjustedCounts[k - 1][Int(e.adjusted)] += 1 }
            if e.raw >= 1 && e.raw <= 6 { rawCounts[k - 1][Int(e.raw)] += 1 }
        }
        try writer.append(e)
    }

    private mutating func closeLevel(_ k: Int, _ writer: EntryWriter, specials: inout [CountKey]) throws {
        if k == 1 {
            for s in specials { try record(StreamEntry(key: s), order: 1, to: writer) }
            specials = []
        }
        levels[k - 1] = try writer.close()
    }

    // MARK: Probabilities

    /// Opens a level file and unlinks it (its data stays readable until the reader is released).
    private func open(_ path: String) throws -> EntryReader {
        let r = try EntryReader(path: path, bufferEntries: scratch.ioEntries)
        scratch.remove(path)
        return r
    }

    /// The remaining passes: probabilities and backoffs of every order, written through `arpa`.
    mutating func estimate(_ estimator: NGramEstimator, into arpa: inout TrainingARPAWriter) throws {
        let kneserNey = options.smoothing == .mkn || options.smoothing == .kn
        arpa.header(counts: kept)

        pass("estimating unigrams")
        var unigrams: [StreamEntry] = []
        let level1 = try open(levels[0])
        while let e = try level1.next() { unigrams.append(e) }
        var g = ContextGroup(pruning: false)
        let uniform = 1 / Double(vocabularySize - 1)
        let bosKey = layout.setting(.zero, 0, TrainingVocabulary.bos)
        for e in unigrams { g.append(count: kneserNey ? e.adjusted : e.raw, kept: true, lower: uniform) }
        g.excluding = unigrams.firstIndex { $0.key == bosKey }
        _ = estimator.group(&g, 1)
        var probs = try EntryWriter(scratch, prefix: "lmserve-probs")
        for (i, var e) in unigrams.enumerated() {
            e.value = i == g.excluding ? 1 : g.prob[i]
            try probs.append(e)
        }
        unigrams = []
        var previous = try probs.close()

        for k in 2...max(2, order) where k <= order {
            pass("\(k)-grams sorted by suffix")
            let bySuffix = EntrySorter(scratch)
            let level = try open(levels[k - 1])
            while var e = try level.next() {
                e.key = layout.rotatingFirstToEnd(e.key, order: k)
                try bySuffix.append(e)
            }

            pass("\(k)-grams joined with the \(k - 1)-gram probabilities, sorted by context")
            let byContext = EntrySorter(scratch)
            do {
                let source = try finish(bySuffix, what: "\(k)-grams by suffix")
                let lower = try EntryReader(path: previous, bufferEntries: scratch.ioEntries)
                var l = try lower.next()
                while var e = try source.next() {
                    let suffix = layout.clearing(e.key, k - 1)
                    while let current = l, current.key < suffix { l = try lower.next() }
                    guard let match = l, match.key == suffix else {
                        throw NGramTrainingError.spillFailed("the \(k - 1)-gram file lacks a suffix of a \(k)-gram (corrupt temporary file?)")
                    }
                    e.value = match.value
                    e.key = layout.rotatingLastToFront(e.key, order: k)
                    try byContext.append(e)
                }
            }

            pass("estimating \(k)-grams, writing \(k - 1)-grams")
            probs = try EntryWriter(scratch, prefix: "lmserve-probs")
            try arpa.section(k - 1)
            var lowerWriter = BackoffWriter(reader: try open(previous), order: k - 1, last: false, self)
            let source = try finish(byContext, what: "\(k)-grams by context")
            let threshold = options.pruneThreshold(k)
            var members: [StreamEntry] = []
            g = ContextGroup(pruning: threshold > 0)
            func estimateContext() throws {
                guard let first = members.first else { return }
                let ctx = layout.clearing(first.key, k - 1)
                if isReal(k, first.key) {
                    g.removeAll()
                    for e in members { g.append(count: kneserNey ? e.adjusted : e.raw, kept: isKept(k, e.raw), lower: e.value) }
                    let gamma = estimator.group(&g, k)
                    if g.hasKept { try lowerWriter.setBackoff(gamma, at: ctx, &arpa) }
                    for (i, var e) in members.enumerated() {
                        e.value = g.prob[i]
                        try probs.append(e)
                    }
                } else {
                    for var e in members {
                        e.value = 0
                        try probs.append(e)
                    }
                }
                members.removeAll(keepingCapacity: true)
            }
            while let e = try source.next() {
                if let first = members.first, layout.clearing(first.key, k - 1) != layout.clearing(e.key, k - 1) {
                    try estimateContext()
                }
                members.append(e)
            }
            try estimateContext()
            try lowerWriter.finish(&arpa)
            previous = try probs.close()
        }

        pass("writing \(order)-grams")
        try arpa.section(order)
        var top = BackoffWriter(reader: try open(previous), order: order, last: true, self)
        try top.finish(&arpa)
        try arpa.finish()
    }

    /// Writes one order's probabilities to the ARPA file in key order, each with the backoff
    /// weight the next order's pass assigns (1 when none).
    private struct BackoffWriter {
        let reader: EntryReader
        let order: Int
        let layout: CountKeyLayout
        let threshold: UInt32
        /// The highest order: no backoff column.
        let last: Bool
        var current: StreamEntry?
        var started = false
        var backoff = 1.0

        init(reader: EntryReader, order: Int, last: Bool, _ d: DiskEstimation) {
            self.reader = reader
            self.order = order
            self.last = last
            layout = d.layout
            threshold = d.options.pruneThreshold(order)
        }

        private mutating func start() throws {
            if !started {
                started = true
                current = try reader.next()
            }
        }

        private mutating func advance(_ arpa: inout TrainingARPAWriter) throws {
            if let e = current, order == 1 || layout.word(e.key, 1) != TrainingVocabulary.bos,
                threshold == 0 || e.raw > threshold
            {
                try arpa.line(order: order, key: e.key, prob: e.value, backoff: last ? nil : backoff)
            }
            current = try reader.next()
            backoff = 1
        }

        /// γ of context `key`: written on the first entry at or after `key` (the context itself),
        /// as the in-memory estimator assigns it.
        mutating func setBackoff(_ gamma: Double, at key: CountKey, _ arpa: inout TrainingARPAWriter) throws {
            try start()
            while let e = current, e.key < key { try advance(&arpa) }
            backoff = gamma
        }

        mutating func finish(_ arpa: inout TrainingARPAWriter) throws {
            try start()
            while current != nil { try advance(&arpa) }
        }
    }
}
