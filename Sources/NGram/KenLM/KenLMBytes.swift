/// A bounds-checked view of a mapped KenLM file: every header and section read goes through it,
/// so a truncated or hostile file gives `KenLMError.corrupt` instead of an out-of-bounds read.
struct KenLMBytes: @unchecked Sendable {
    let base: UnsafeRawPointer
    let count: Int
    let file: String

    init(_ bytes: UnsafeRawBufferPointer, file: String) {
        // An empty mapping has no base address; point at a static byte (count stays 0).
        base = bytes.baseAddress ?? UnsafeRawPointer(KenLMBytes.emptyByte)
        count = bytes.count
        self.file = file
    }

    nonisolated(unsafe) private static let emptyByte = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)

    /// Throws unless `[offset, offset + length)` lies inside the file.
    func require(_ offset: Int, _ length: Int, _ what: @autoclosure () -> String) throws {
        guard offset >= 0, length >= 0, offset <= count, length <= count - offset else {
            throw KenLMError.corrupt(
                file: file, what: "\(what()) needs bytes \(offset)..<\(offset &+ length) but the file has \(count) (truncated?)")
        }
    }

    func u8(_ offset: Int, _ what: @autoclosure () -> String) throws -> UInt8 {
        try require(offset, 1, what())
        return base.load(fromByteOffset: offset, as: UInt8.self)
    }

    func u32(_ offset: Int, _ what: @autoclosure () -> String) throws -> UInt32 {
        try require(offset, 4, what())
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    func u64(_ offset: Int, _ what: @autoclosure () -> String) throws -> UInt64 {
        try require(offset, 8, what())
        return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    func f32(_ offset: Int, _ what: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try u32(offset, what()))
    }

    /// Whether the file starts with `prefix`.
    func starts(with prefix: [UInt8]) -> Bool {
        guard count >= prefix.count else { return false }
        for (i, b) in prefix.enumerated() where base.load(fromByteOffset: i, as: UInt8.self) != b { return false }
        return true
    }
}

/// KenLM's word hash (`util::MurmurHash64A` with seed 0, as `lm/vocab.cc` uses it): words are
/// stored by hash only, so lookups must hash exactly as `build_binary` did.
enum KenLMHash {
    private static let m: UInt64 = 0xc6a4_a793_5bd1_e995

    @inline(__always)
    static func murmur64A(_ p: UnsafeRawPointer?, count n: Int, seed: UInt64 = 0) -> UInt64 {
        var h = seed ^ (UInt64(truncatingIfNeeded: n) &* m)
        guard let p, n > 0 else { return finish(h) }
        var i = 0
        while i &+ 8 <= n {
            var k = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            k &*= m
            k ^= k >> 47
            k &*= m
            h ^= k
            h &*= m
            i &+= 8
        }
        let rest = n & 7
        if rest > 0 {
            var shift: UInt64 = 0
            var j = i
            while j < n {
                h ^= UInt64(p.load(fromByteOffset: j, as: UInt8.self)) << shift
                shift &+= 8
                j &+= 1
            }
            h &*= m
        }
        return finish(h)
    }

    @inline(__always)
    private static func finish(_ x: UInt64) -> UInt64 {
        var h = x
        h ^= h >> 47
        h &*= m
        h ^= h >> 47
        return h
    }

    /// `lm::ngram::detail::CombineWordHash`: extends a probing n-gram key by one history word.
    @inline(__always)
    static func combine(_ current: UInt64, _ next: WordID) -> UInt64 {
        (current &* 8_978_948_897_894_561_157) ^ ((1 &+ UInt64(next)) &* 17_894_857_484_156_487_943)
    }

    /// KenLM's `util::RequiredBits`: bits needed to store `maxValue`.
    static func requiredBits(_ maxValue: UInt64) -> Int { maxValue == 0 ? 0 : 64 - maxValue.leadingZeroBitCount }
}
