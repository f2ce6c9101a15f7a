/// Up to 128 bits of packed word ids: word 0 in the most significant bits, so integer order is the
/// lexicographic order of the words (the order contexts group in).
struct CountKey: Comparable, Hashable, Sendable {
    var hi: UInt64
    var lo: UInt64

    static let zero = CountKey(hi: 0, lo: 0)

    @inline(__always)
    static func < (a: CountKey, b: CountKey) -> Bool {
        a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo
    }

    /// A well-mixed 64-bit hash (murmur3's finaliser over both halves).
    @inline(__always)
    var mixed: UInt64 {
        var h = hi &* 0x9E37_79B9_7F4A_7C15 ^ (lo &+ 0x632B_E59B_D9B4_E019)
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h = h &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }
}

/// How word ids are packed into an `CountKey`: `bits` per word, word `i` at bits
/// `[128 - (i+1)·bits, 128 - i·bits)`. Keys of every order share this alignment, so dropping the
/// first word is a left shift and a context is the key with its last word cleared.
struct CountKeyLayout: Sendable {
    let bits: Int
    let mask: UInt64

    /// The narrowest layout for ids below `vocabularySize`, or nil when `order` words do not fit.
    init?(vocabularySize: Int, order: Int) {
        var b = 1
        while (1 << b) < vocabularySize { b += 1 }
        guard b * order <= 128 else { return nil }
        bits = b
        mask = (UInt64(1) << UInt64(b)) - 1
    }

    @inline(__always)
    func word(_ key: CountKey, _ i: Int) -> UInt32 {
        let s = 128 - (i + 1) * bits
        if s >= 64 { return UInt32((key.hi >> UInt64(s - 64)) & mask) }
        if s + bits <= 64 { return UInt32((key.lo >> UInt64(s)) & mask) }
        return UInt32(((key.lo >> UInt64(s)) | (key.hi << UInt64(64 - s))) & mask)
    }

    /// `key` with word `i` set to `w`; the slot must be zero.
    @inline(__always)
    func setting(_ key: CountKey, _ i: Int, _ w: UInt32) -> CountKey {
        var k = key
        let v = UInt64(w)
        let s = 128 - (i + 1) * bits
        if s >= 64 {
            k.hi |= v << UInt64(s - 64)
        } else {
            k.lo |= v << UInt64(s)
            if s + bits > 64 { k.hi |= v >> UInt64(64 - s) }
        }
        return k
    }

    /// `key` without its first word (every word moves one place up; the last slot becomes zero).
    @inline(__always)
    func droppingFirst(_ key: CountKey) -> CountKey {
        let b = UInt64(bits)
        return CountKey(hi: (key.hi << b) | (key.lo >> (64 - b)), lo: key.lo << b)
    }

    /// `key` (of `order` words) with its first word moved to the end: these keys sort by suffix
    /// (the n-gram without its first word), then by first word.
    @inline(__always)
    func rotatingFirstToEnd(_ key: CountKey, order: Int) -> CountKey {
        setting(droppingFirst(key), order - 1, word(key, 0))
    }

    /// Undoes `rotatingFirstToEnd`.
    @inline(__always)
    func rotatingLastToFront(_ key: CountKey, order: Int) -> CountKey {
        let rest = clearing(key, order - 1)
        let b = UInt64(bits)
        let shifted = CountKey(hi: rest.hi >> b, lo: (rest.lo >> b) | (rest.hi << (64 - b)))
        return setting(shifted, 0, word(key, order - 1))
    }

    /// `key` with word `i` cleared.
    @inline(__always)
    func clearing(_ key: CountKey, _ i: Int) -> CountKey {
        let m = setting(CountKey.zero, i, UInt32(truncatingIfNeeded: mask))
        return CountKey(hi: key.hi & ~m.hi, lo: key.lo & ~m.lo)
    }

    func key(_ words: [UInt32]) -> CountKey {
        var k = CountKey.zero
        for (i, w) in words.enumerated() { k = setting(k, i, w) }
        return k
    }

    func words(_ key: CountKey, order: Int) -> [UInt32] {
        (0..<order).map { word(key, $0) }
    }
}
