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
    private var vocab: [UInt64: WordID] = [:]
    private(set) var wordBlob: [UInt8] = []
    private(set) var wordOffsets: [UInt64] = [0]
    private(set) var unigrams: [Weights] = []
    private(set) var tables: [BuildTable] = []
    private(set) var sawUnknown = false
    private(set) var beginSentence: WordID = 0
    private(set) var endSentence: WordID = 0
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
        vocab.reserveCapacity(declared)
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
            if let existing = vocab[h] {
                // Same hash: the same word (a duplicate), or a 64-bit collision (never seen).
                _ = existing
                throw reader.error(.duplicateWord(ARPAReader.text(word)))
            }
            let id = WordID(unigrams.count)
            vocab[h] = id
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
            let id = bytes.withUnsafeMutableBufferPointer { vocab[WordHash.hash(UnsafeBufferPointer($0))] }
            if let id {
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
    }

    private func wordID(_ w: UnsafeBufferPointer<UInt8>) -> WordID? {
        if let id = vocab[WordHash.hash(w)] { return id }
        return Self.isUnknownSpelling(w) ? WordID.unknownWord : nil
    }

    private mutating func readNGrams(_ reader: inout ARPAReader, order n: Int) throws {
        let declared = counts[n - 1]
        let highest = n == counts.count
        var fields: [UnsafeBufferPointer<UInt8>] = []
        // ids most recent first: r[0] = wn … r[n-1] = w1; keys[h] = key of the (h+2)-gram suffix.
        var r = [WordID](repeating: 0, count: n)
        var keys = [UInt64](repeating: 0, count: n - 1)
        var between: [(order: Int, slot: Int)] = []
        for index in 0..<declared {
            let (rawProb, rawBackoff) = try reader.readNGram(order: n, declared: declared, index: index, words: &fields)
            for k in 0..<n {
                guard let id = wordID(fields[k]) else {
                    throw reader.error(.wordNotInUnigrams(word: ARPAReader.text(fields[k]), order: n))
                }
                r[n - 1 - k] = id
            }
            let prob = -abs(try checkedProb(rawProb, reader))
            var backoff: Float = -0.0
            if highest {
                if let b = rawBackoff, b != 0 { throw reader.error(.badBackoff("\(b) on a highest-order n-gram")) }
            } else if let b = rawBackoff, b != 0 {
                backoff = b
            }
            keys[0] = WordHash.combine(UInt64(r[0]), r[1])
            for h in stride(from: 1, to: n - 1, by: 1) { keys[h] = WordHash.combine(keys[h - 1], r[h + 1]) }

            let (_, inserted) = tables[n - 2].findOrInsert(WordHash.slotKey(keys[n - 2]), prob: prob, backoff: backoff)
            if !inserted { throw reader.error(.duplicateNGram(Self.joined(fields))) }
            findLower(n: n, keys: keys, r: r, between: &between)
            adjustLower(n: n, r: r, between: between)
            // Activate the context: it must exist, and it now has an extension.
            if n == 2 {
                Weights.setExtension(&unigrams[Int(r[1])].backoff)
            } else {
                var h = UInt64(r[1])
                for i in 2..<n { h = WordHash.combine(h, r[i]) }
                guard let slot = tables[n - 3].find(WordHash.slotKey(h)) else {
                    throw reader.error(.missingContext(order: n, ngram: Self.joined(fields)))
                }
                Weights.setExtension(&tables[n - 3][slot].backoff)
            }
        }
    }

    /// Finds the longest present right-aligned suffix, inserting blanks for the missing ones;
    /// `between` lists them longest first, ending with the one found (order 1 = unigram).
    private mutating func findLower(n: Int, keys: [UInt64], r: [WordID], between: inout [(order: Int, slot: Int)]) {
        between.removeAll(keepingCapacity: true)
        var lower = n - 3
        while lower >= 0 {
            let (slot, inserted) = tables[lower].findOrInsert(WordHash.slotKey(keys[lower]), prob: 0, backoff: -0.0)
            between.append((lower + 2, slot))
            if !inserted { return }
            lower -= 1
        }
        between.append((1, Int(r[0])))
    }

    private func probAt(_ at: (order: Int, slot: Int)) -> Float {
        at.order == 1 ? unigrams[at.slot].prob : tables[at.order - 2][at.slot].prob
    }

    /// Gives each blank the backoff-computed probability: the found suffix's probability plus
    /// the backoffs of the contexts in between (which thereby get an extension).
    private mutating func adjustLower(n: Int, r: [WordID], between: [(order: Int, slot: Int)]) {
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

    static func joined(_ fields: [UnsafeBufferPointer<UInt8>]) -> String {
        fields.map { ARPAReader.text($0) }.joined(separator: " ")
    }

    /// The vocabulary hash table: every word but `<unk>` (which lookups reach by missing).
    func vocabularyTable() -> [VocabEntry] {
        let n = unigrams.count - 1
        var table = Array(repeating: VocabEntry(hash: 0, id: 0, reserved: 0), count: WordHash.buckets(for: n))
        for (h, id) in vocab {
            var i = WordHash.bucket(h, table.count)
            while table[i].hash != 0 {
                i += 1
                if i == table.count { i = 0 }
            }
            table[i] = VocabEntry(hash: h, id: id, reserved: 0)
        }
        return table
    }
}
