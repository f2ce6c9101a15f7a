/// Lookups over a model image: KenLM's probing search.
///
/// Unigrams are a dense array indexed by word id. Orders 2…N−1 are probing hash tables keyed
/// by a 64-bit hash of the word ids, extended one word at a time going back in history, so a
/// longest-match walk costs one hash step and one probe per order. The highest order stores no
/// backoff. A `HashedSearch` holds raw pointers into a `ModelStorage` it does not own.
// @unchecked: raw pointers into an immutable model image, only ever read.
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
    // @unchecked: the array is written once in init, then only read.
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

    /// The table of order i + 2.
    @inline(__always)
    func table(_ i: Int) -> Table { tables[i] }

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

    /// Finishes a lookup in table `i` (order i + 2) whose first slot was already read.
    @inline(__always)
    private func probe(table i: Int, key: UInt64, slot first: Int, firstKey: UInt64) -> UnsafePointer<TableEntry>? {
        if firstKey == key { return tables[i].base + first }
        if firstKey == 0 { return nil }
        let t = tables[i]
        var slot = first &+ 1
        while true {
            if slot == t.buckets { slot = 0 }
            let k = t.base[slot].key
            if k == key { return t.base + slot }
            if k == 0 { return nil }
            slot &+= 1
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
            // Compute every order's key and load each table's first slot before walking, so
            // the cache misses of the different orders overlap instead of queueing.
            let depth = min(inLength, order - 1)
            var keys = InlineArray<7, UInt64>(repeating: 0)
            var slots = InlineArray<7, Int>(repeating: 0)
            var firstKeys = InlineArray<7, UInt64>(repeating: 0)
            var node = UInt64(word)
            for i in 0..<depth {
                node = WordHash.combine(node, inState.words[i])
                let key = WordHash.slotKey(node)
                let t = tables[i]
                let slot = WordHash.bucket(key, t.buckets)
                keys[i] = key
                slots[i] = slot
                firstKeys[i] = t.base[slot].key
            }
            var i = 0
            while i < depth {
                guard let e = probe(table: i, key: keys[i], slot: slots[i], firstKey: firstKeys[i]) else { break }
                prob = e.pointee.prob
                if i == order - 2 {
                    length = order
                    break
                }
                let backoff = e.pointee.backoff
                out.backoffs[i + 1] = backoff
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

extension HashedSearch: SuccessorSearch {
    /// The slot of the m most recent words of `state`: the word id for m = 1, else the
    /// n-gram's slot in the order-m table.
    func contextSlot(_ state: NGramState, order m: Int) -> Int? {
        if m == 1 { return Int(state.words[0]) }
        var key = UInt64(state.words[0])
        for i in 1..<m { key = WordHash.combine(key, state.words[i]) }
        return find(order: m, key: key).map { $0 - tables[m - 2].base }
    }

    @inline(__always)
    func extends(_ state: NGramState, context k: Int, with word: WordID) -> Bool {
        var key = UInt64(word)
        for i in 0..<k { key = WordHash.combine(key, state.words[i]) }
        return find(order: k + 1, key: key) != nil
    }

    @inline(__always)
    func unigramLog10(_ word: WordID) -> Float { unigrams[Int(word)].prob }
}

extension SuccessorIndex {
    /// The lists of a model read from ARPA: every n-gram the builder put into a table (real or
    /// blank), with its probability as finally stored in the image `search` reads.
    convenience init(builder: NGramBuilder, search: HashedSearch, beginSentence: WordID) {
        var records: [[Record]] = []
        var contextSlots = [search.vocabularySize]
        for (i, keys) in builder.successorKeys.enumerated() {
            let n = i + 2
            if n < search.order { contextSlots.append(search.table(i).buckets) }
            records.append(keys.map { k in
                let prob = search.find(order: n, key: k.key)!.pointee.prob
                let context = n == 2 ? Int(k.context) : search.find(order: n - 1, key: k.context)! - search.table(n - 3).base
                let suffix = n == 2 ? search.unigrams[Int(k.word)].prob : search.find(order: n - 1, key: k.suffix)!.pointee.prob
                return Record(context: UInt32(context), word: k.word, log10Prob: prob, suffixLog10Prob: suffix)
            })
        }
        self.init(
            records: records, contextSlots: contextSlots, unigramLog10: (0..<search.vocabularySize).map { search.unigrams[$0].prob },
            excluded: beginSentence == WordID.unknownWord ? nil : beginSentence)
    }
}
