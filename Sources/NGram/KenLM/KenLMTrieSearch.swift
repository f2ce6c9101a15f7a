/// `lm/search_trie.*`: optional quantization tables, the unigram array (weights and first-child
/// index per word), then one bit-packed level per order 2…N, each optionally with compressed
/// child pointers.
package struct KenLMTrieSearch: KenLMSearch, @unchecked Sendable {
    package let order: Int
    let quantization: KenLMQuantization
    /// `build_binary -a` bits when pointers are compressed.
    let pointerBits: Int?
    private let unigrams: UnsafeRawPointer
    /// Orders 2…N−1.
    private let middles: [KenLMBitLevel]
    private let longest: KenLMBitLevel

    /// `ArrayBhiksha`'s choice of how many high pointer bits move to the offset table.
    static func chopBits(maxOffset: UInt64, maxNext: UInt64, configured: Int) -> Int {
        let required = KenLMHash.requiredBits(maxNext)
        var best = 0
        var lowest = Int64.max
        for chop in 0...min(required, configured) {
            let change = Int64(bitPattern: (maxNext >> UInt64(required - chop)) &* 64 &- maxOffset &* UInt64(chop))
            if change < lowest {
                lowest = change
                best = chop
            }
        }
        return best
    }

    /// Reads the search section at `offset`, checking that every part lies inside the file.
    /// - Returns: the search and the offset just past it (where the vocabulary strings start).
    static func read(_ b: KenLMBytes, header: KenLMHeader, offset: Int) throws -> (KenLMTrieSearch, end: Int) {
        let counts = header.counts
        let order = header.order
        var at = offset
        var quantization = KenLMQuantization()
        if header.modelType.quantized {
            let bits = try KenLMQuantization.readBits(b, offset: at)
            let size = KenLMQuantization.size(order: order, probBits: bits.prob, backoffBits: bits.backoff)
            try b.require(at, size, "the quantization tables")
            quantization = KenLMQuantization(order: order, probBits: bits.prob, backoffBits: bits.backoff, base: b.base + at)
            at += size
        }
        let unigramSize = (Int(counts[0]) + 2) * 16
        try b.require(at, unigramSize, "the unigrams")
        let unigrams = b.base + at
        at += unigramSize
        var pointerBits: Int?
        if header.modelType.pointerCompressed && order > 2 {
            let version = try b.u8(at, "pointer compression header")
            guard version == 0 else {
                throw KenLMError.incompatible(file: b.file, reason: "pointer compression version \(version), this reader reads 0")
            }
            pointerBits = Int(try b.u8(at + 1, "pointer compression bits"))
        }
        var middles: [KenLMBitLevel] = []
        for n in 1..<(order - 1) {
            let entries = counts[n]
            let maxNext = counts[n + 1]
            var nextBits = KenLMHash.requiredBits(maxNext)
            var offsets: UnsafePointer<UInt64>?
            var offsetCount = 0
            if let configured = pointerBits {
                let chop = chopBits(maxOffset: entries + 1, maxNext: maxNext, configured: configured)
                nextBits -= chop
                offsetCount = Int(maxNext >> UInt64(KenLMHash.requiredBits(maxNext) - chop)) + 1
                let arraySize = 8 * (1 + offsetCount) + 7
                try b.require(at, arraySize, "the \(n + 1)-gram pointer table")
                let aligned = KenLMHeader.align8(at)
                offsets = (b.base + aligned + 8).assumingMemoryBound(to: UInt64.self)
                at += arraySize
            }
            let remaining = quantization.middleBits + nextBits
            let size = KenLMBitLevel.size(entries: entries, maxVocab: counts[0], remainingBits: remaining)
            try b.require(at, size, "the \(n + 1)-grams")
            middles.append(
                KenLMBitLevel(
                    base: b.base + at, entries: entries, maxVocab: counts[0], remainingBits: remaining, nextBits: nextBits,
                    offsets: offsets, offsetCount: offsetCount))
            at += size
        }
        let longestSize = KenLMBitLevel.size(entries: counts[order - 1], maxVocab: counts[0], remainingBits: quantization.longestBits)
        try b.require(at, longestSize, "the \(order)-grams")
        let longest = KenLMBitLevel(base: b.base + at, entries: counts[order - 1], maxVocab: counts[0], remainingBits: quantization.longestBits)
        at += longestSize
        let search = KenLMTrieSearch(
            order: order, quantization: quantization, pointerBits: pointerBits, unigrams: unigrams, middles: middles, longest: longest)
        return (search, at)
    }

    package func unigramBackoff(_ word: WordID) -> Float {
        unigrams.loadUnaligned(fromByteOffset: Int(word) * 16 + 4, as: Float.self)
    }

    /// Prefetches the unigram record of `ids[position]`; the deeper levels' positions depend on
    /// it, so they cannot be fetched ahead.
    @inline(__always)
    package func prefetchLookups(_ ids: UnsafePointer<WordID>, at position: Int) {
        prefetch(unigrams + Int(ids[position]) &* 16)
    }

    @inline(__always)
    package func fullScore(_ inState: NGramState, _ word: WordID, _ out: inout NGramState) -> (prob: Float, length: Int) {
        let u = unigramRecord(Int(word))
        var prob = u.prob
        let backoff0 = u.backoff
        var (begin, end) = (u.begin, u.end)
        out.words[0] = word
        out.backoffs[0] = backoff0
        var nextUse = Weights.hasExtension(backoff0) ? 1 : 0
        var length = 1
        var k = 0
        let inLength = Int(inState.length)
        while k < inLength && begin < end {
            if k == order - 2 {
                if let index = longest.find(inState.words[k], begin, end) {
                    prob = longestProb(index)
                    length = order
                }
                break
            }
            guard let index = middles[k].find(inState.words[k], begin, end) else { break }
            let r = middleRecord(k, index)
            prob = r.prob
            (begin, end) = (r.begin, r.end)
            out.backoffs[k + 1] = r.backoff
            length = k + 2
            if Weights.hasExtension(r.backoff) { nextUse = length }
            k += 1
        }
        return Self.finish(inState, &out, prob: prob, length: length, nextUse: nextUse)
    }

    /// Record `index` of the order-(k + 2) level: its probability, backoff and child range.
    @inline(__always)
    func middleRecord(_ k: Int, _ index: Int) -> (prob: Float, backoff: Float, begin: UInt64, end: UInt64) {
        let level = middles[k]
        let bit = level.weightsBit(index)
        if quantization.quantized {
            let q = quantization.tables[k]
            let bb = quantization.backoffBits
            let backoff = q.backoff![Int(level.read(bit, (1 << UInt64(bb)) - 1))]
            let prob = q.prob[Int(level.read(bit &+ bb, (1 << UInt64(quantization.probBits)) - 1))]
            let (begin, end) = level.children(index, at: bit &+ quantization.middleBits)
            return (prob, backoff, begin, end)
        }
        let prob = Float(bitPattern: UInt32(truncatingIfNeeded: level.read(bit, 0x7FFF_FFFF)) | 0x8000_0000)
        let backoff = Float(bitPattern: UInt32(truncatingIfNeeded: level.read(bit &+ 31, 0xFFFF_FFFF)))
        let (begin, end) = level.children(index, at: bit &+ 63)
        return (prob, backoff, begin, end)
    }

    /// The probability of record `index` of the top order.
    @inline(__always)
    func longestProb(_ index: Int) -> Float {
        let bit = longest.weightsBit(index)
        if quantization.quantized {
            return quantization.tables[order - 2].prob[Int(longest.read(bit, (1 << UInt64(quantization.probBits)) - 1))]
        }
        return Float(bitPattern: UInt32(truncatingIfNeeded: longest.read(bit, 0x7FFF_FFFF)) | 0x8000_0000)
    }

    /// Unigram `word`'s probability, backoff and child range.
    @inline(__always)
    func unigramRecord(_ word: Int) -> (prob: Float, backoff: Float, begin: UInt64, end: UInt64) {
        let u = unigrams + word &* 16
        return (
            u.loadUnaligned(as: Float.self), u.loadUnaligned(fromByteOffset: 4, as: Float.self),
            u.loadUnaligned(fromByteOffset: 8, as: UInt64.self), u.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
        )
    }

    /// Every stored n-gram (blanks KenLM added for pruned entries included), oldest word first,
    /// by walking the trie. A level visited more often than it has records (a hostile file
    /// whose child ranges overlap) stops the walk.
    package func forEachEntry(unigrams count: Int, file: String, _ body: (_ words: [WordID], _ prob: Float, _ backoff: Float?) throws -> Void) throws {
        var visits = [Int](repeating: 0, count: order)
        var path: [WordID] = []
        func descend(_ k: Int, _ begin: UInt64, _ end: UInt64) throws {
            let level = k == order - 2 ? longest : middles[k]
            let lo = Int(min(begin, UInt64(level.entries)))
            let hi = Int(min(end, UInt64(level.entries)))
            guard lo < hi else { return }
            visits[k + 1] += hi - lo
            guard visits[k + 1] <= level.entries else { throw KenLMError.corrupt(file: file, what: "overlapping \(k + 2)-gram ranges") }
            for index in lo..<hi {
                path.append(WordID(truncatingIfNeeded: level.read(index &* level.totalBits, level.wordMask)))
                defer { path.removeLast() }
                if k == order - 2 {
                    try body(path.reversed(), longestProb(index), nil)
                } else {
                    let r = middleRecord(k, index)
                    try body(path.reversed(), r.prob, r.backoff)
                    try descend(k + 1, r.begin, r.end)
                }
            }
        }
        for w in 0..<count {
            let r = unigramRecord(w)
            path = [WordID(w)]
            try body(path, r.prob, r.backoff)
            try descend(0, r.begin, r.end)
        }
    }
}
