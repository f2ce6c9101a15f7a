import LMCore
import Logging

/// Builds a model image from an ARPA file with KenLM's probing-model semantics.
///
/// Beyond copying n-grams it does what KenLM's `search_hashed.cc` does while loading: marks
/// every context's backoff as extended (`-0.0` → `+0.0`), rejects an n-gram whose context is
/// not an (n−1)-gram, and inserts "blank" entries for missing right-aligned suffixes, each with
/// the probability backoff would give it and backoff `-0.0`.
struct NGramBuilder {
    let file: String
    let config: NGramConfig
    let logger: Logger

    private(set) var counts: [Int] = []
    /// The vocabulary hash table (word hash → id), filled while reading unigrams; it goes into
    /// the image as is. `<unk>` is not in it: lookups reach id 0 by missing.
    private var vocab: [VocabEntry] = []
    private(set) var wordBlob: [UInt8] = []
    private(set) var wordOffsets: [UInt64] = [0]
    private(set) var unigrams: [Weights] = []
    private(set) var tables: [BuildTable] = []
    private(set) var sawUnknown = false
    private(set) var beginSentence: WordID = 0
    private(set) var endSentence: WordID = 0
    /// Per order 2…N (index order − 2): every n-gram put into that table, real or blank, by
    /// key, for the successor lists (`SuccessorIndex`), which need each n-gram's context.
    private(set) var successorKeys: [[SuccessorKey]] = []
    private var warnedPositive = false

    init(file: String, config: NGramConfig, logger: Logger) {
        self.file = file
        self.config = config
        self.logger = logger
    }

    static func isUnknownSpelling(_ w: UnsafeBufferPointer<UInt8>) -> Bool {
        ARPAReader.equals(w, "<unk>") || ARPAReader.equals(w, "<UNK>")
    }

    /// Reads the whole ARPA text.
    mutating func read(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        var reader = ARPAReader(file: file, bytes: bytes)
        counts = try reader.readCounts()
        // Every n-gram takes at least 4 bytes ("-1 a\n"): a larger count is a damaged header,
        // refused before anything is allocated for it.
        for (i, c) in counts.enumerated() where c > bytes.count / 4 {
            throw reader.error(.badCountLine("ngram \(i + 1)=\(c) (more n-grams than the file can hold)"), line: reader.firstCountLine + i)
        }
        let order = counts.count
        try readUnigrams(&reader)
        for n in 2..<(order + 1) {
            try reader.readSectionHeader(order: n, previous: (n - 1, counts[n - 2]))
            try readNGrams(&reader, order: n)
        }
        try reader.readEnd(previous: (order, counts[order - 1]))
    }

    private mutating func checkedProb(_ p: Float, _ reader: ARPAReader) throws -> Float {
        guard p > 0 else { return p }
        switch config.positiveLogProbability {
        case .fail: throw reader.error(.positiveProbability(p))
        case .warn:
            if !warnedPositive {
                logger.warning("\(file):\(reader.lineNumber): positive log10 probability \(p) stored as 0")
                warnedPositive = true
            }
        case .silent: break
        }
        return -0.0
    }

    private mutating func readUnigrams(_ reader: inout ARPAReader) throws {
        try reader.readSectionHeader(order: 1, previous: nil)
        let declared = counts[0]
        unigrams = [Weights(prob: config.unknownLog10Prob, backoff: 0)]
        unigrams.reserveCapacity(declared + 1)
        wordBlob.append(contentsOf: Array("<unk>".utf8))
        wordOffsets.append(UInt64(wordBlob.count))
        vocab = Array(repeating: VocabEntry(hash: 0, id: 0, reserved: 0), count: WordHash.buckets(for: declared))
        var fields: [UnsafeBufferPointer<UInt8>] = []
        for index in 0..<declared {
            let (rawProb, rawBackoff) = try reader.readNGram(order: 1, declared: declared, index: index, words: &fields)
            let prob = try checkedProb(rawProb, reader)
            var backoff = rawBackoff ?? -0.0
            if backoff == 0 { backoff = -0.0 }
            let word = fields[0]
            let weights = Weights(prob: -abs(prob), backoff: backoff)
            if Self.isUnknownSpelling(word) {
                if sawUnknown { throw reader.error(.duplicateWord(ARPAReader.text(word))) }
                sawUnknown = true
                unigrams[0] = weights
                continue
            }
            let h = WordHash.hash(word)
            let slot = vocabSlot(h)
            // Same hash: the same word (a duplicate), or a 64-bit collision (never seen).
            if vocab[slot].hash == h { throw reader.error(.duplicateWord(ARPAReader.text(word))) }
            let id = WordID(unigrams.count)
            vocab[slot] = VocabEntry(hash: h, id: id, reserved: 0)
            unigrams.append(weights)
            wordBlob.append(contentsOf: word)
            wordOffsets.append(UInt64(wordBlob.count))
        }
        if !sawUnknown {
            switch config.missingUnknown {
            case .fail: throw reader.error(.missingSpecialWord("<unk>"))
            case .warn:
                logger.warning(
                    "The ARPA file is missing <unk>.  Substituting log10 probability \(QueryReport.shortest(config.unknownLog10Prob)).",
                    metadata: ["file": "\(file)"])
            case .silent: break
            }
        }
        let line = reader.lineNumber
        for (marker, isBegin) in [("<s>", true), ("</s>", false)] {
            var bytes = Array(marker.utf8)
            let h = bytes.withUnsafeMutableBufferPointer { WordHash.hash(UnsafeBufferPointer($0)) }
            if vocab[vocabSlot(h)].hash == h {
                let id = vocab[vocabSlot(h)].id
                if isBegin { beginSentence = id } else { endSentence = id }
                continue
            }
            switch config.missingSentenceMarker {
            case .fail: throw reader.error(.missingSpecialWord(marker), line: line)
            case .warn: logger.warning("\(file): missing special word \(marker); will treat it as <unk>")
            case .silent: break
            }
        }
        tables = (2..<(counts.count + 1)).map { BuildTable(expected: counts[$0 - 1]) }
        successorKeys = (2..<(counts.count + 1)).map { n in
            var keys: [SuccessorKey] = []
            keys.reserveCapacity(counts[n - 1])
            return keys
        }
    }

    /// The slot holding hash `h`, or the empty slot where it would go.
    private func vocabSlot(_ h: UInt64) -> Int {
        var i = WordHash.bucket(h, vocab.count)
        while vocab[i].hash != 0 && vocab[i].hash != h {
            i += 1
            if i == vocab.count { i = 0 }
        }
        return i
    }

    private func wordID(_ w: UnsafeBufferPointer<UInt8>) -> WordID? {
        let h = WordHash.hash(w)
        let e = vocab[vocabSlot(h)]
        if e.hash == h { return e.id }
        return Self.isUnknownSpelling(w) ? WordID.unknownWord : nil
    }

    /// One parsed n-gram waiting to be inserted.
    private struct Pending {
        /// Word ids most recent first: r[0] = wn … r[n-1] = w1.
        var r = InlineArray<8, WordID>(repeating: 0)
        /// keys[h] = key of the right-aligned (h+2)-gram suffix; keys[n-2] is the n-gram's own.
        var keys = InlineArray<7, UInt64>(repeating: 0)
        /// The key of the context w1…w(n-1).
        var contextKey: UInt64 = 0
        var prob: Float = 0
        var backoff: Float = -0.0
        var line = 0
    }

    /// How many n-grams are parsed ahead so that their table slots can be prefetched.
    private static let batchSize = 16

    private mutating func readNGrams(_ reader: inout ARPAReader, order n: Int) throws {
        let declared = counts[n - 1]
        var fields: [UnsafeBufferPointer<UInt8>] = []
        var between: [(order: Int, slot: Int)] = []
        var batch: [Pending] = []
        batch.reserveCapacity(Self.batchSize)
        var index = 0
        while index < declared {
            // Parse a batch (stopping at a parse error, which is thrown after the n-grams
            // before it are inserted, so errors come in file order), prefetch, then insert.
            batch.removeAll(keepingCapacity: true)
            var parseError: Error? = nil
            while batch.count < Self.batchSize && index < declared {
                do {
                    batch.append(try parseNGram(&reader, order: n, declared: declared, index: index, fields: &fields))
                    index += 1
                } catch {
                    parseError = error
                    break
                }
            }
            for p in batch { prefetchSlots(p, order: n) }
            for p in batch { try insert(p, order: n, reader: reader, between: &between) }
            if let parseError { throw parseError }
        }
    }

    private mutating func parseNGram(
        _ reader: inout ARPAReader, order n: Int, declared: Int, index: Int, fields: inout [UnsafeBufferPointer<UInt8>]
    ) throws -> Pending {
        let (rawProb, rawBackoff) = try reader.readNGram(order: n, declared: declared, index: index, words: &fields)
        var p = Pending()
        p.line = reader.lineNumber
        for k in 0..<n {
            guard let id = wordID(fields[k]) else {
                throw reader.error(.wordNotInUnigrams(word: ARPAReader.text(fields[k]), order: n))
            }
            p.r[n - 1 - k] = id
        }
        p.prob = -abs(try checkedProb(rawProb, reader))
        if n == counts.count {
            if let b = rawBackoff, b != 0 { throw reader.error(.badBackoff("\(b) on a highest-order n-gram")) }
        } else if let b = rawBackoff, b != 0 {
            p.backoff = b
        }
        p.keys[0] = WordHash.combine(UInt64(p.r[0]), p.r[1])
        for h in stride(from: 1, to: n - 1, by: 1) { p.keys[h] = WordHash.combine(p.keys[h - 1], p.r[h + 1]) }
        var c = UInt64(p.r[1])
        for i in stride(from: 2, to: n, by: 1) { c = WordHash.combine(c, p.r[i]) }
        p.contextKey = c
        return p
    }

    /// Prefetches the slots `insert` will touch first: its own, its (n−1)-suffix's, its context's.
    private func prefetchSlots(_ p: Pending, order n: Int) {
        tables[n - 2].prefetch(WordHash.slotKey(p.keys[n - 2]))
        if n >= 3 {
            tables[n - 3].prefetch(WordHash.slotKey(p.keys[n - 3]))
            tables[n - 3].prefetch(WordHash.slotKey(p.contextKey))
        }
    }

    private mutating func insert(_ p: Pending, order n: Int, reader: ARPAReader, between: inout [(order: Int, slot: Int)]) throws {
        let (_, inserted) = tables[n - 2].findOrInsert(WordHash.slotKey(p.keys[n - 2]), prob: p.prob, backoff: p.backoff)
        if !inserted { throw reader.error(.duplicateNGram(text(p, order: n)), line: p.line) }
        successorKeys[n - 2].append(
            SuccessorKey(key: WordHash.slotKey(p.keys[n - 2]), context: p.contextKey, suffix: n >= 3 ? p.keys[n - 3] : 0, word: p.r[0]))
        findLower(n: n, keys: p.keys, r: p.r, between: &between)
        adjustLower(n: n, r: p.r, between: between)
        // Activate the context: it must exist, and it now has an extension.
        if n == 2 {
            Weights.setExtension(&unigrams[Int(p.r[1])].backoff)
        } else {
            guard let slot = tables[n - 3].find(WordHash.slotKey(p.contextKey)) else {
                throw reader.error(.missingContext(order: n, ngram: text(p, order: n)), line: p.line)
            }
            Weights.setExtension(&tables[n - 3][slot].backoff)
        }
    }

    /// The words of `p` in file order, for messages.
    private func text(_ p: Pending, order n: Int) -> String {
        (0..<n).reversed().map { k -> String in
            let id = Int(p.r[k])
            return String(decoding: wordBlob[Int(wordOffsets[id])..<Int(wordOffsets[id + 1])], as: UTF8.self)
        }.joined(separator: " ")
    }

    /// Finds the longest present right-aligned suffix, inserting blanks for the missing ones;
    /// `between` lists them longest first, ending with the one found (order 1 = unigram).
    private mutating func findLower(n: Int, keys: InlineArray<7, UInt64>, r: InlineArray<8, WordID>, between: inout [(order: Int, slot: Int)]) {
        between.removeAll(keepingCapacity: true)
        var lower = n - 3
        while lower >= 0 {
            let (slot, inserted) = tables[lower].findOrInsert(WordHash.slotKey(keys[lower]), prob: 0, backoff: -0.0)
            between.append((lower + 2, slot))
            if !inserted { return }
            // A blank (lower + 2)-gram r[lower + 1] … r[0]: its context is r[lower + 1] … r[1].
            var context = UInt64(r[1])
            if lower >= 1 { for i in 2...(lower + 1) { context = WordHash.combine(context, r[i]) } }
            successorKeys[lower].append(
                SuccessorKey(key: WordHash.slotKey(keys[lower]), context: context, suffix: lower >= 1 ? keys[lower - 1] : 0, word: r[0]))
            lower -= 1
        }
        between.append((1, Int(r[0])))
    }

    private func probAt(_ at: (order: Int, slot: Int)) -> Float {
        at.order == 1 ? unigrams[at.slot].prob : tables[at.order - 2][at.slot].prob
    }

    /// Gives each blank the backoff-computed probability: the found suffix's probability plus
    /// the backoffs of the contexts in between (which thereby get an extension).
    private mutating func adjustLower(n: Int, r: InlineArray<8, WordID>, between: [(order: Int, slot: Int)]) {
        guard between.count > 1 else { return }
        var prob = -abs(probAt(between[between.count - 1]))
        var basis = n - between.count
        var change = between.count - 2
        if basis == 1 {
            Weights.setExtension(&unigrams[Int(r[1])].backoff)
            prob += unigrams[Int(r[1])].backoff
            tables[between[change].order - 2][between[change].slot].prob = prob
            basis = 2
            change -= 1
        }
        var backoffHash = UInt64(r[1])
        for i in stride(from: 2, through: basis, by: 1) { backoffHash = WordHash.combine(backoffHash, r[i]) }
        while basis < n - 1 {
            if let slot = tables[basis - 2].find(WordHash.slotKey(backoffHash)) {
                Weights.setExtension(&tables[basis - 2][slot].backoff)
                prob += tables[basis - 2][slot].backoff
            }
            tables[between[change].order - 2][between[change].slot].prob = prob
            backoffHash = WordHash.combine(backoffHash, r[basis + 1])
            basis += 1
            change -= 1
        }
    }


    /// One n-gram of a table as the successor lists need it: its slot key, the raw key of its
    /// context (the word id for a bigram), the raw key of its (n−1)-word suffix (unused for a
    /// bigram, whose suffix is the unigram `word`), and its last word.
    struct SuccessorKey {
        var key: UInt64
        var context: UInt64
        var suffix: UInt64
        var word: WordID
    }

    /// The vocabulary hash table: every word but `<unk>` (which lookups reach by missing).
    func vocabularyTable() -> [VocabEntry] { vocab }
}
