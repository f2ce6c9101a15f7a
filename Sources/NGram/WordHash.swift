/// The hashes the N-gram tables are keyed by. They are part of the `.lmb` format: changing
/// them needs a new format version.
enum WordHash {
    /// A 64-bit hash of a word's UTF-8 bytes; never 0 (0 marks an empty slot).
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, count n: Int) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(truncatingIfNeeded: n)
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i &+ 8 <= n {
            let v = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ v) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
            i &+= 8
        }
        if i < n {
            var v: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                v |= UInt64(p[i]) << shift
                shift &+= 8
                i &+= 1
            }
            h = (h ^ v) &* 0x9E37_79B9_7F4A_7C15
        }
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h == 0 ? 1 : h
    }

    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return hash(WordHashEmpty.pointer, count: 0) }
        return hash(base, count: bytes.count)
    }

    /// Extends an n-gram key by one word further back in history (KenLM's `CombineWordHash`
    /// idea: the key of w1…wn starts from wn and adds w(n-1), …, w1).
    @inline(__always)
    static func combine(_ current: UInt64, _ next: WordID) -> UInt64 {
        (current &* 0xA24B_AED4_963E_E407) ^ ((UInt64(next) &+ 1) &* 0x9FB2_1C65_1E98_DF25)
    }

    /// The stored form of a key: 0 is reserved for empty slots.
    @inline(__always)
    static func slotKey(_ key: UInt64) -> UInt64 { key == 0 ? 1 : key }

    /// The first slot to probe for `key` in a table of `buckets` slots (multiply-high range map).
    @inline(__always)
    static func bucket(_ key: UInt64, _ buckets: Int) -> Int {
        Int(truncatingIfNeeded: key.multipliedFullWidth(by: UInt64(truncatingIfNeeded: buckets)).high)
    }

    /// The slot count for a table of `count` entries (KenLM's probing multiplier 1.5).
    static func buckets(for count: Int) -> Int { max(count + count / 2, count + 1, 2) }
}
