/// Lookups over a model image: KenLM's probing search.
///
/// Unigrams are a dense array indexed by word id. Orders 2…N−1 are probing hash tables keyed
/// by a 64-bit hash of the word ids, extended one word at a time going back in history, so a
/// longest-match walk costs one hash step and one probe per order. The highest order stores no
/// backoff. A `HashedSearch` holds raw pointers into a `ModelStorage` it does not own.
struct HashedSearch: @unchecked Sendable {
    struct Table {
        var base: UnsafePointer<TableEntry>
        var buckets: Int
    }

    let order: Int
    let vocabularySize: Int
    let unigrams: UnsafePointer<Weights>
    private let vocabTable: UnsafePointer<VocabEntry>
    private let vocabBuckets: Int
    /// Orders 2…N, index order − 2 (a pointer so hot loops touch no array).
    private let tables: UnsafePointer<Table>
    private let tableOwner: TableOwner

    /// Owns the small table-descriptor array `tables` points into.
    private final class TableOwner: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<Table>
        init(_ tables: [Table]) {
            pointer = .allocate(capacity: tables.count)
            pointer.initialize(from: tables, count: tables.count)
        }
        deinit { pointer.deallocate() }
    }

    init(storage: ModelStorage) {
        let l = storage.layout
        let b = storage.base
        order = l.order
        vocabularySize = l.vocabularySize
        unigrams = (b + l.unigramOffset).assumingMemoryBound(to: Weights.self)
        vocabTable = (b + l.vocabTableOffset).assumingMemoryBound(to: VocabEntry.self)
        vocabBuckets = l.vocabBuckets
        var ts: [Table] = []
        for i in 0..<(l.order - 1) {
            ts.append(Table(base: (b + l.tableOffsets[i]).assumingMemoryBound(to: TableEntry.self), buckets: l.tableBuckets[i]))
        }
        // Unigram-only models never look into a table; keep the pointer valid anyway.
        if ts.isEmpty { ts.append(Table(base: (b + l.unigramOffset).assumingMemoryBound(to: TableEntry.self), buckets: 0)) }
        tableOwner = TableOwner(ts)
        tables = UnsafePointer(tableOwner.pointer)
    }

    /// The id of a word given by its UTF-8 bytes; `<unk>` (0) when not in the vocabulary.
    @inline(__always)
    func wordID(_ p: UnsafePointer<UInt8>, count: Int) -> WordID {
        let h = WordHash.hash(p, count: count)
        var i = WordHash.bucket(h, vocabBuckets)
        while true {
            let e = vocabTable[i]
            if e.hash == h { return e.id }
            if e.hash == 0 { return WordID.unknownWord }
            i &+= 1
            if i == vocabBuckets { i = 0 }
        }
    }

    /// The entry for `key` in the table of order `n` (2…N), or nil.
    @inline(__always)
    func find(order n: Int, key rawKey: UInt64) -> UnsafePointer<TableEntry>? {
        let t = tables[n - 2]
        let key = WordHash.slotKey(rawKey)
        var i = WordHash.bucket(key, t.buckets)
        while true {
            let k = t.base[i].key
            if k == key { return t.base + i }
            if k == 0 { return nil }
            i &+= 1
            if i == t.buckets { i = 0 }
        }
    }

    /// Scores `word` after `inState` (KenLM's `FullScore`): log10 probability with backoff,
    /// the length of the n-gram matched, and the state after the word in `out`.
    ///
    /// The probability is that of the longest matching n-gram (blanks included) plus the
    /// backoffs `inState.backoffs[k]` for k from (length − 1) to `inState.length − 1`.
    @inline(__always)
    func fullScore(_ inState: NGramState, _ word: WordID, _ out: inout NGramState) -> (prob: Float, length: Int) {
        let uni = unigrams[Int(word)]
        var prob = uni.prob
        var length = 1
        out.words[0] = word
        out.backoffs[0] = uni.backoff
        var nextUse = (order > 1 && Weights.hasExtension(uni.backoff)) ? 1 : 0
        let inLength = Int(inState.length)
        if inLength > 0 {
            var node = UInt64(word)
            var i = 0
            while i < inLength {
                node = WordHash.combine(node, inState.words[i])
                if i == order - 2 {
                    if let e = find(order: order, key: node) {
                        prob = e.pointee.prob
                        length = order
                    }
                    break
                }
                guard let e = find(order: i + 2, key: node) else { break }
                let backoff = e.pointee.backoff
                out.backoffs[i + 1] = backoff
                prob = e.pointee.prob
                length = i + 2
                if Weights.hasExtension(backoff) { nextUse = length }
                i += 1
            }
            var k = 1
            while k < nextUse {
                out.words[k] = inState.words[k - 1]
                k += 1
            }
            var b = length - 1
            while b < inLength {
                prob += inState.backoffs[b]
                b += 1
            }
        }
        out.length = UInt8(truncatingIfNeeded: nextUse)
        return (prob, length)
    }

    /// The state at a sentence start: `<s>` with its backoff, length 1 (KenLM's
    /// `BeginSentenceState`), or the empty context.
    func initialState(sentenceContext: Bool, beginSentence: WordID) -> NGramState {
        var s = NGramState()
        if sentenceContext && order > 1 {
            s.words[0] = beginSentence
            s.backoffs[0] = unigrams[Int(beginSentence)].backoff
            s.length = 1
        }
        return s
    }
}
