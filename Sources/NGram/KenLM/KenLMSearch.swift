/// A KenLM search structure read in place (probing hash tables or the bit-packed trie).
package protocol KenLMSearch: Sendable {
    var order: Int { get }
    /// The unigram backoff of `word` (the `<s>` state's backoff).
    func unigramBackoff(_ word: WordID) -> Float
    /// KenLM's `FullScore`: log10 p(word | inState) with backoff, the matched n-gram length,
    /// and the state after the word in `out`. `word` must be below the vocabulary bound.
    func fullScore(_ inState: NGramState, _ word: WordID, _ out: inout NGramState) -> (prob: Float, length: Int)
    /// Calls `body` with every stored n-gram (oldest word first), its probability and, below
    /// the top order, its backoff; lower orders first.
    func forEachEntry(unigrams count: Int, file: String, _ body: (_ words: [WordID], _ prob: Float, _ backoff: Float?) throws -> Void) throws
    /// Starts loading what `fullScore` of `ids[position]` will read, its context being the ids
    /// before it (most recent first); a hint that changes nothing.
    func prefetchLookups(_ ids: UnsafePointer<WordID>, at position: Int)
}

extension KenLMSearch {
    /// Finishes a score the way `GenericModel::FullScore` does: copies the history the out
    /// state keeps (`out.length` words, the new word first) and charges the backoffs of the
    /// context orders longer than the match.
    @inline(__always)
    static func finish(_ inState: NGramState, _ out: inout NGramState, prob: Float, length: Int, nextUse: Int) -> (prob: Float, length: Int) {
        var k = 1
        while k < nextUse {
            out.words[k] = inState.words[k - 1]
            k += 1
        }
        out.length = UInt8(truncatingIfNeeded: nextUse)
        var p = prob
        var b = length - 1
        while b < Int(inState.length) {
            p += inState.backoffs[b]
            b += 1
        }
        return (p, length)
    }
}

/// `lm/search_hashed.*`: unigrams are an array indexed by id; orders 2…N−1 and N are probing
/// hash tables keyed by `CombineWordHash` of the word ids, newest word first. A probability's
/// sign bit is cleared when a longer n-gram extends it to the left (it is always ≤ 0).
package struct KenLMProbingSearch: KenLMSearch, @unchecked Sendable {
    struct Table {
        var base: UnsafeRawPointer
        var buckets: Int
        var stride: Int
    }

    package let order: Int
    let unigrams: UnsafeRawPointer
    let unigramStride: Int
    /// Orders 2…N (index order − 2); the last one holds no backoff.
    let tables: [Table]

    /// Byte sizes per `HashedSearch::Size` (rest weights add a float to unigrams and middles).
    static func layout(_ header: KenLMHeader) -> (unigram: Int, tables: [Table]) {
        let rest = header.modelType == .restProbing
        let unigramStride = rest ? 12 : 8
        var tables: [Table] = []
        for n in 1..<header.order {
            let buckets = KenLMVocabulary.probingBuckets(entries: header.counts[n], multiplier: header.probingMultiplier)
            let stride = n == header.order - 1 ? 12 : (rest ? 20 : 16)
            tables.append(Table(base: UnsafeRawPointer(bitPattern: 1)!, buckets: buckets, stride: stride))
        }
        return ((Int(header.counts[0]) + 1) * unigramStride, tables)
    }

    static func size(_ header: KenLMHeader) -> Int {
        let l = layout(header)
        return l.tables.reduce(l.unigram) { $0 + $1.buckets * $1.stride }
    }

    /// The search over the section at `base` (bounds-checked by the caller for `size(header)`).
    init(header: KenLMHeader, base: UnsafeRawPointer) {
        let l = Self.layout(header)
        order = header.order
        unigrams = base
        unigramStride = header.modelType == .restProbing ? 12 : 8
        var at = base + l.unigram
        var ts: [Table] = []
        for var t in l.tables {
            t.base = at
            at += t.buckets * t.stride
            ts.append(t)
        }
        tables = ts
    }

    package func unigramBackoff(_ word: WordID) -> Float {
        unigrams.loadUnaligned(fromByteOffset: Int(word) * unigramStride + 4, as: Float.self)
    }

    /// The slot holding `key` in table `i`, or nil; probes at most every slot once.
    @inline(__always)
    func find(_ i: Int, _ key: UInt64) -> UnsafeRawPointer? {
        let t = tables[i]
        var slot = Int(key % UInt64(t.buckets))
        for _ in 0..<t.buckets {
            let p = t.base + slot &* t.stride
            let k = p.loadUnaligned(as: UInt64.self)
            if k == key { return p }
            if k == 0 { return nil }
            slot &+= 1
            if slot == t.buckets { slot = 0 }
        }
        return nil
    }

    @inline(__always)
    package func fullScore(_ inState: NGramState, _ word: WordID, _ out: inout NGramState) -> (prob: Float, length: Int) {
        let u = unigrams + Int(word) &* unigramStride
        let uniProb = u.loadUnaligned(as: UInt32.self)
        var prob = Float(bitPattern: uniProb | 0x8000_0000)
        var independentLeft = uniProb & 0x8000_0000 != 0
        let backoff0 = u.loadUnaligned(fromByteOffset: 4, as: Float.self)
        out.words[0] = word
        out.backoffs[0] = backoff0
        var nextUse = Weights.hasExtension(backoff0) ? 1 : 0
        var length = 1
        var node = UInt64(word)
        var k = 0
        let inLength = Int(inState.length)
        while k < inLength && !independentLeft {
            node = KenLMHash.combine(node, inState.words[k])
            if k == order - 2 {
                if let e = find(k, node) {
                    prob = e.loadUnaligned(fromByteOffset: 8, as: Float.self)
                    length = order
                }
                break
            }
            guard let e = find(k, node) else { break }
            let raw = e.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
            independentLeft = raw & 0x8000_0000 != 0
            prob = Float(bitPattern: raw | 0x8000_0000)
            let backoff = e.loadUnaligned(fromByteOffset: 12, as: Float.self)
            out.backoffs[k + 1] = backoff
            length = k + 2
            if Weights.hasExtension(backoff) { nextUse = length }
            k += 1
        }
        return Self.finish(inState, &out, prob: prob, length: length, nextUse: nextUse)
    }

    /// Prefetches the first slot of every table the lookup of `ids[position]` will probe.
    @inline(__always)
    package func prefetchLookups(_ ids: UnsafePointer<WordID>, at position: Int) {
        let depth = min(position, order - 1)
        var node = UInt64(ids[position])
        var k = 0
        while k < depth {
            node = KenLMHash.combine(node, ids[position - 1 - k])
            let t = tables[k]
            prefetch(t.base + Int(node % UInt64(t.buckets)) &* t.stride)
            k += 1
        }
    }

    /// The tables seen by `ProbingTables.forEachEntry`: a probability's sign bit says whether a
    /// longer entry extends it to the left.
    struct ProbingView: ProbingTables {
        let search: KenLMProbingSearch
        let unigramCount: Int
        var levels: Int { search.tables.count }

        @inline(__always)
        func unigramEntry(_ word: WordID) -> ProbingEntry {
            let u = search.unigrams + Int(word) &* search.unigramStride
            let raw = u.loadUnaligned(as: UInt32.self)
            return ProbingEntry(
                prob: Float(bitPattern: raw | 0x8000_0000), backoff: u.loadUnaligned(fromByteOffset: 4, as: Float.self),
                extendsLeft: raw & 0x8000_0000 == 0)
        }

        @inline(__always)
        func combine(_ key: UInt64, _ older: WordID) -> UInt64 { KenLMHash.combine(key, older) }

        @inline(__always)
        func entry(level: Int, key: UInt64) -> ProbingEntry? {
            guard let e = search.find(level, key) else { return nil }
            let raw = e.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
            if level == levels - 1 { return ProbingEntry(prob: Float(bitPattern: raw), backoff: nil, extendsLeft: false) }
            return ProbingEntry(
                prob: Float(bitPattern: raw | 0x8000_0000), backoff: e.loadUnaligned(fromByteOffset: 12, as: Float.self),
                extendsLeft: raw & 0x8000_0000 == 0)
        }

        func occupied(level: Int) -> Int { search.occupied(level) }
    }

    /// Slots in use in the table of order `i + 2`.
    func occupied(_ i: Int) -> Int {
        let t = tables[i]
        var n = 0
        for slot in 0..<t.buckets where (t.base + slot &* t.stride).loadUnaligned(as: UInt64.self) != 0 { n += 1 }
        return n
    }

    /// Every stored n-gram, oldest word first (`ProbingTables.forEachEntry`).
    package func forEachEntry(unigrams count: Int, file: String, _ body: (_ words: [WordID], _ prob: Float, _ backoff: Float?) throws -> Void) throws {
        try ProbingView(search: self, unigramCount: count).forEachEntry(unreachable: { KenLMError.corrupt(file: file, what: $0) }, body)
    }
}
