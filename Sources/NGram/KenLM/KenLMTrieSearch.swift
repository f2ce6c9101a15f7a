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

    @inline(__always)
    package func fullScore(_ inState: NGramState, _ word: WordID, _ out: inout NGramState) -> (prob: Float, length: Int) {
        let u = unigrams + Int(word) &* 16
        var prob = u.loadUnaligned(as: Float.self)
        let backoff0 = u.loadUnaligned(fromByteOffset: 4, as: Float.self)
        var begin = u.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        var end = u.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
        out.words[0] = word
        out.backoffs[0] = backoff0
        var nextUse = Weights.hasExtension(backoff0) ? 1 : 0
        var length = 1
        var k = 0
        let inLength = Int(inState.length)
        let quantized = quantization.quantized
        while k < inLength && begin < end {
            if k == order - 2 {
                if let index = longest.find(inState.words[k], begin, end) {
                    let bit = longest.weightsBit(index)
                    if quantized {
                        let q = quantization.tables[k]
                        prob = q.prob[Int(longest.read(bit, (1 << UInt64(quantization.probBits)) - 1))]
                    } else {
                        prob = Float(bitPattern: UInt32(truncatingIfNeeded: longest.read(bit, 0x7FFF_FFFF)) | 0x8000_0000)
                    }
                    length = order
                }
                break
            }
            let level = middles[k]
            guard let index = level.find(inState.words[k], begin, end) else { break }
            let bit = level.weightsBit(index)
            let backoff: Float
            if quantized {
                let q = quantization.tables[k]
                let bb = quantization.backoffBits
                backoff = q.backoff![Int(level.read(bit, (1 << UInt64(bb)) - 1))]
                prob = q.prob[Int(level.read(bit &+ bb, (1 << UInt64(quantization.probBits)) - 1))]
                (begin, end) = level.children(index, at: bit &+ quantization.middleBits)
            } else {
                prob = Float(bitPattern: UInt32(truncatingIfNeeded: level.read(bit, 0x7FFF_FFFF)) | 0x8000_0000)
                backoff = Float(bitPattern: UInt32(truncatingIfNeeded: level.read(bit &+ 31, 0xFFFF_FFFF)))
                (begin, end) = level.children(index, at: bit &+ 63)
            }
            out.backoffs[k + 1] = backoff
            length = k + 2
            if Weights.hasExtension(backoff) { nextUse = length }
            k += 1
        }
        return Self.finish(inState, &out, prob: prob, length: length, nextUse: nextUse)
    }
}
