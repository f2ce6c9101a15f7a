/// One order of KenLM's trie (`lm/trie.*`): records of `totalBits` bits, packed back to back,
/// each the word id (`wordBits`) then the weights and, below the top order, the index of the
/// record's first child. Siblings are sorted by word id, so a lookup is a search in the range
/// the parent gives. Reads are 64-bit loads; the section has 8 bytes of slack for the last one.
struct KenLMBitLevel: @unchecked Sendable {
    let base: UnsafeRawPointer
    let entries: Int
    let wordBits: Int
    let wordMask: UInt64
    let totalBits: Int
    /// Bits of the child index stored in the record (after weights), and its mask.
    let nextBits: Int
    let nextMask: UInt64
    /// Pointer compression (`lm/bhiksha.*`): the high bits of child indices are implied by
    /// where a record falls among these `offsetCount` ascending record indices.
    let offsets: UnsafePointer<UInt64>?
    let offsetCount: Int

    /// `BitPacked::BaseSize`: bytes for `entries` records (+1 sentinel) of `word + remaining` bits.
    static func size(entries: UInt64, maxVocab: UInt64, remainingBits: Int) -> Int {
        let total = UInt64(KenLMHash.requiredBits(maxVocab) + remainingBits)
        return Int(((1 + entries) * total + 7) / 8 + 8)
    }

    init(base: UnsafeRawPointer, entries: UInt64, maxVocab: UInt64, remainingBits: Int, nextBits: Int = 0,
         offsets: UnsafePointer<UInt64>? = nil, offsetCount: Int = 0) {
        self.base = base
        self.entries = Int(entries)
        wordBits = KenLMHash.requiredBits(maxVocab)
        wordMask = wordBits == 64 ? .max : (1 << UInt64(wordBits)) - 1
        totalBits = wordBits + remainingBits
        self.nextBits = nextBits
        nextMask = nextBits >= 64 ? .max : (1 << UInt64(nextBits)) - 1
        self.offsets = offsets
        self.offsetCount = offsetCount
    }

    /// The `bits` (≤ 57) bits at bit offset `bit`.
    @inline(__always)
    func read(_ bit: Int, _ mask: UInt64) -> UInt64 {
        (base.loadUnaligned(fromByteOffset: bit >> 3, as: UInt64.self) >> UInt64(bit & 7)) & mask
    }

    /// The record index holding `word` in `begin..<end` (clamped to the level), or nil.
    @inline(__always)
    func find(_ word: WordID, _ begin: UInt64, _ end: UInt64) -> Int? {
        let key = UInt64(word)
        var lo = Int(truncatingIfNeeded: min(begin, UInt64(entries)))
        var hi = Int(truncatingIfNeeded: min(end, UInt64(entries)))
        while lo < hi {
            let mid = (lo &+ hi) >> 1
            let v = read(mid &* totalBits, wordMask)
            if v < key { lo = mid &+ 1 } else if v > key { hi = mid } else { return mid }
        }
        return nil
    }

    /// The bit offset of record `index`'s weights.
    @inline(__always)
    func weightsBit(_ index: Int) -> Int { index &* totalBits &+ wordBits }

    /// The child range of record `index`, whose child pointer starts at bit `bit`.
    @inline(__always)
    func children(_ index: Int, at bit: Int) -> (UInt64, UInt64) {
        let low = read(bit, nextMask)
        let high = read(bit &+ totalBits, nextMask)
        guard let offsets else { return (low, high) }
        // upper_bound(offsets, index) − 1, then forward while the next offset ≤ index + 1.
        var lo = 0
        var hi = offsetCount
        let target = UInt64(index)
        while lo < hi {
            let mid = (lo &+ hi) >> 1
            if offsets[mid] <= target { lo = mid &+ 1 } else { hi = mid }
        }
        let first = max(lo - 1, 0)
        var last = first + 1
        while last < offsetCount && offsets[last] <= target &+ 1 { last += 1 }
        last -= 1
        let shift = UInt64(nextBits)
        return ((UInt64(first) << shift) | low, (UInt64(last) << shift) | high)
    }
}
