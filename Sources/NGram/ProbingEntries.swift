/// Lists the n-grams of a probing hash structure — KenLM's probing binaries and LMServe's
/// `.lmb` — whose tables hold hashes of word ids, not the words (`lmserve convert` to ARPA).
///
/// A key is built newest word first, so the key of w1…wk extends that of its suffix w2…wk by
/// the older word w1. Order k is therefore found by extending each stored (k − 1)-gram by the
/// older words that make a stored context with the start of it (both formats store every
/// context and every suffix, with blanks where a pruned file lacked one); if that finds fewer
/// entries than the table holds, every word is tried as well.
struct ProbingEntries {
    /// What a lookup found: the values and, where the format records them, whether the entry
    /// is extended to the left (KenLM's sign bit) and whether it is a context (its backoff's
    /// extension mark).
    struct Entry {
        var prob: Float
        var backoff: Float?
        var extendsLeft: Bool
    }

    /// The unigram count (ids `0..<unigrams`) and the tables' depth (orders 2…`levels` + 1).
    let unigrams: Int
    let levels: Int
    /// The values of unigram `word`.
    let unigram: (_ word: WordID) -> Entry
    /// The key chain: the key of a unigram, and a key extended by an older word.
    let combine: (_ key: UInt64, _ older: WordID) -> UInt64
    /// The entry for `key` in table `level` (order `level` + 2), or nil.
    let lookup: (_ level: Int, _ key: UInt64) -> Entry?
    /// Slots in use in table `level`.
    let occupied: (_ level: Int) -> Int

    private struct Found {
        var words: [WordID]
        var key: UInt64
        var extendsLeft: Bool
        var isContext: Bool
    }

    /// Calls `body` with every stored n-gram (oldest word first), its probability and, below
    /// the top order, its backoff; lower orders first.
    /// - Throws: `unreachable(message)` when stored entries cannot all be reached (a corrupt
    ///   table), or what `body` throws.
    func forEach(
        unreachable: (String) -> any Error, _ body: (_ words: [WordID], _ prob: Float, _ backoff: Float?) throws -> Void
    ) throws {
        var previous: [Found] = []
        previous.reserveCapacity(unigrams)
        for w in 0..<unigrams {
            let e = unigram(WordID(w))
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
            func probe(_ g: Found, _ w: WordID) throws {
                let key = combine(g.key, w)
                guard !seen.contains(key), let e = lookup(level, key) else { return }
                seen.insert(key)
                let words = [w] + g.words
                try body(words, e.prob, e.backoff)
                found.append(Found(words: words, key: key, extendsLeft: e.extendsLeft, isContext: e.backoff.map(Weights.hasExtension) ?? false))
            }
            for g in previous where g.extendsLeft {
                for w in leftOf[g.words.dropLast()] ?? [] { try probe(g, w) }
            }
            let stored = occupied(level)
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

extension HashedSearch {
    /// Every stored n-gram of an ARPA or `.lmb` model, oldest word first (`ProbingEntries`).
    /// These tables keep no left-extension mark, so every entry is extended.
    func forEachEntry(file: String, _ body: (_ words: [WordID], _ prob: Float, _ backoff: Float?) throws -> Void) throws {
        let top = order - 2
        let entries = ProbingEntries(
            unigrams: vocabularySize, levels: order - 1,
            unigram: { w in
                let u = unigrams[Int(w)]
                return .init(prob: u.prob, backoff: top >= 0 ? u.backoff : nil, extendsLeft: true)
            },
            combine: WordHash.combine,
            lookup: { level, key in
                guard let e = find(order: level + 2, key: key) else { return nil }
                return .init(prob: e.pointee.prob, backoff: level == top ? nil : e.pointee.backoff, extendsLeft: true)
            },
            occupied: { level in
                let t = table(level)
                var n = 0
                for i in 0..<t.buckets where t.base[i].key != 0 { n += 1 }
                return n
            })
        try entries.forEach(unreachable: { LMBError.corrupt(file: file, what: $0) }, body)
    }
}
