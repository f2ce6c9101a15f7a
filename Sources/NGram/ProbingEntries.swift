/// Lists the n-grams of a probing hash structure — KenLM's probing binaries and LMServe's
/// `.lmb` — whose tables hold hashes of word ids, not the words (`lmserve convert` to ARPA).
///
/// A key is built newest word first, so the key of w1…wk extends that of its suffix w2…wk by
/// the older word w1. Order k is therefore found by extending each stored (k − 1)-gram by the
/// older words that make a stored context with the start of it (both formats store every
/// context and every suffix, with blanks where a pruned file lacked one); if that finds fewer
/// entries than the table holds, every word is tried as well.
protocol ProbingTables {
    /// The unigram count (ids `0..<unigrams`) and the tables' depth (orders 2…`levels` + 1).
    var unigramCount: Int { get }
    var levels: Int { get }
    /// The values of unigram `word`.
    func unigramEntry(_ word: WordID) -> ProbingEntry
    /// A key extended by an older word (a unigram's key is its id).
    func combine(_ key: UInt64, _ older: WordID) -> UInt64
    /// The entry for `key` in table `level` (order `level` + 2), or nil.
    func entry(level: Int, key: UInt64) -> ProbingEntry?
    /// Slots in use in table `level`.
    func occupied(level: Int) -> Int
}

/// What a lookup found: the values and, where the format records it, whether the entry is
/// extended to the left (KenLM's sign bit; always true where nothing records it).
struct ProbingEntry {
    var prob: Float
    var backoff: Float?
    var extendsLeft: Bool
}

/// An entry found by `forEachEntry`, with what the next order needs of it.
private struct Found {
    var words: [WordID]
    var key: UInt64
    var extendsLeft: Bool
    var isContext: Bool
}

extension ProbingTables {

    /// Calls `body` with every stored n-gram (oldest word first), its probability and, below
    /// the top order, its backoff; lower orders first.
    /// - Throws: `unreachable(message)` when stored entries cannot all be reached (a corrupt
    ///   table), or what `body` throws.
    func forEachEntry(
        unreachable: (String) -> any Error, _ body: (_ words: [WordID], _ prob: Float, _ backoff: Float?) throws -> Void
    ) throws {
        let unigrams = unigramCount
        var previous: [Found] = []
        previous.reserveCapacity(unigrams)
        for w in 0..<unigrams {
            let e = unigramEntry(WordID(w))
            try body([WordID(w)], e.prob, e.backoff)
            previous.append(
                Found(words: [WordID(w)], key: UInt64(w), extendsLeft: e.extendsLeft, isContext: e.backoff.map(Weights.hasExtension) ?? false))
        }
        for level in 0..<levels {
            // Older words that make a stored context with the start of each entry.
            var leftOf: [ArraySlice<WordID>: [WordID]] = [:]
            for f in previous where f.isContext { leftOf[f.words.dropFirst(), default: []].append(f.words[0]) }
            var found: [Found] = []
            var seen = Set<UInt64>()
            // A bigram costs a probe per (context word, word) pair: keep the miss path short.
            @inline(__always) func probe(_ g: Found, _ w: WordID) throws {
                let key = combine(g.key, w)
                guard let e = entry(level: level, key: key), seen.insert(key).inserted else { return }
                let words = [w] + g.words
                try body(words, e.prob, e.backoff)
                found.append(Found(words: words, key: key, extendsLeft: e.extendsLeft, isContext: e.backoff.map(Weights.hasExtension) ?? false))
            }
            for g in previous where g.extendsLeft {
                for w in leftOf[g.words.dropLast()] ?? [] { try probe(g, w) }
            }
            let stored = occupied(level: level)
            if found.count < stored {
                for g in previous where g.extendsLeft {
                    for w in 0..<unigrams { try probe(g, WordID(w)) }
                }
            }
            guard found.count == stored else {
                throw unreachable("\(stored - found.count) of the \(stored) stored \(level + 2)-grams cannot be reached")
            }
            previous = found
        }
    }
}

/// LMServe's own tables keep no left-extension mark, so every entry is extended.
extension HashedSearch: ProbingTables {
    var unigramCount: Int { vocabularySize }
    var levels: Int { order - 1 }

    @inline(__always)
    func unigramEntry(_ word: WordID) -> ProbingEntry {
        let u = unigrams[Int(word)]
        return ProbingEntry(prob: u.prob, backoff: order > 1 ? u.backoff : nil, extendsLeft: true)
    }

    @inline(__always)
    func combine(_ key: UInt64, _ older: WordID) -> UInt64 { WordHash.combine(key, older) }

    @inline(__always)
    func entry(level: Int, key: UInt64) -> ProbingEntry? {
        guard let e = find(order: level + 2, key: key) else { return nil }
        return ProbingEntry(prob: e.pointee.prob, backoff: level == order - 2 ? nil : e.pointee.backoff, extendsLeft: true)
    }

    func occupied(level: Int) -> Int {
        let t = table(level)
        var n = 0
        for i in 0..<t.buckets where t.base[i].key != 0 { n += 1 }
        return n
    }

    /// Every stored n-gram of an ARPA or `.lmb` model, oldest word first.
    func forEachEntry(file: String, _ body: (_ words: [WordID], _ prob: Float, _ backoff: Float?) throws -> Void) throws {
        try forEachEntry(unreachable: { LMBError.corrupt(file: file, what: $0) }, body)
    }
}
