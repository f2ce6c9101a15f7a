#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// KenLM's word → id maps, read in place: the probing vocabulary (a hash table of word hash →
/// id, `lm/vocab.cc` `ProbingVocabulary`) or the trie's sorted vocabulary (the sorted word
/// hashes, id = position + 1). `<unk>` is id 0 and in neither table.
struct KenLMVocabulary: @unchecked Sendable {
    enum Table {
        /// `buckets` slots of 12 bytes (64-bit hash, 32-bit id; 0 marks an empty slot).
        case probing(slots: UnsafeRawPointer, buckets: Int)
        /// `count` ascending 64-bit hashes.
        case sorted(hashes: UnsafeRawPointer, count: Int)
    }

    let table: Table
    /// Ids are `0..<bound` (`<unk>` included).
    let bound: Int

    /// `ProbingVocabulary::Size` / `SortedVocabulary::Size` for `entries` unigrams.
    static func size(_ header: KenLMHeader) -> Int {
        let entries = Int(header.counts[0])
        if header.modelType.isTrie { return 8 + 8 * entries }
        return 8 + probingBuckets(entries: header.counts[0], multiplier: header.probingMultiplier) * 12
    }

    /// `util::ProbingHashTable::Size` in slots: max(entries + 1, ⌊multiplier × entries⌋), the
    /// product taken in single precision as KenLM does.
    static func probingBuckets(entries: UInt64, multiplier: Float) -> Int {
        let scaled = multiplier * Float(entries)
        let floor = scaled < 9.2e18 ? UInt64(scaled) : UInt64.max >> 1
        return Int(max(entries + 1, floor))
    }

    /// Reads the section at `offset` (already bounds-checked for `size(header)` bytes).
    init(_ b: KenLMBytes, header: KenLMHeader, offset: Int) throws {
        let entries = Int(header.counts[0])
        if header.modelType.isTrie {
            let stored = try b.u64(offset, "vocabulary size")
            guard stored < UInt64(entries) + 1, Int(stored) <= entries else {
                throw KenLMError.corrupt(file: b.file, what: "vocabulary of \(stored) words for \(entries) unigrams")
            }
            table = .sorted(hashes: b.base + offset + 8, count: Int(stored))
            bound = Int(stored) + 1
        } else {
            let version = try b.u32(offset, "vocabulary version")
            guard version == 0 else {
                throw KenLMError.incompatible(file: b.file, reason: "probing vocabulary version \(version), this reader reads 0")
            }
            let stored = Int(try b.u32(offset + 4, "vocabulary bound"))
            guard stored >= 1, stored <= entries + 1 else {
                throw KenLMError.corrupt(file: b.file, what: "vocabulary of \(stored) words for \(entries) unigrams")
            }
            table = .probing(slots: b.base + offset + 8, buckets: Self.probingBuckets(entries: header.counts[0], multiplier: header.probingMultiplier))
            bound = stored
        }
    }

    /// The id of the word with these UTF-8 bytes; 0 (`<unk>`) when absent.
    @inline(__always)
    func index(_ p: UnsafeRawPointer?, count: Int) -> WordID {
        let h = KenLMHash.murmur64A(p, count: count)
        let found: WordID
        switch table {
        case .probing(let slots, let buckets):
            found = Self.probe(slots, buckets, h)
        case .sorted(let hashes, let n):
            var lo = 0
            var hi = n
            while lo < hi {
                let mid = (lo &+ hi) >> 1
                let v = hashes.loadUnaligned(fromByteOffset: mid &* 8, as: UInt64.self)
                if v < h { lo = mid &+ 1 } else if v > h { hi = mid } else { return WordID(truncatingIfNeeded: mid &+ 1) }
            }
            return 0
        }
        // Ids from the file are not trusted.
        return Int(found) < bound ? found : 0
    }

    /// Linear probing from `hash % buckets`, at most `buckets` slots (a full hostile table ends).
    @inline(__always)
    private static func probe(_ slots: UnsafeRawPointer, _ buckets: Int, _ h: UInt64) -> WordID {
        var i = Int(h % UInt64(buckets))
        for _ in 0..<buckets {
            let key = slots.loadUnaligned(fromByteOffset: i &* 12, as: UInt64.self)
            if key == h { return slots.loadUnaligned(fromByteOffset: i &* 12 &+ 8, as: UInt32.self) }
            if key == 0 { return 0 }
            i &+= 1
            if i == buckets { i = 0 }
        }
        return 0
    }

    /// The words, in id order, from the strings `build_binary` appends after the data
    /// structures: `bound` NUL-terminated strings starting with `<unk>`.
    static func readWords(_ b: KenLMBytes, offset: Int, bound: Int) throws -> [String] {
        var words: [String] = []
        words.reserveCapacity(bound)
        var at = offset
        while words.count < bound {
            guard at < b.count else {
                throw KenLMError.corrupt(
                    file: b.file, what: "the vocabulary strings end after \(words.count) of \(bound) words (truncated?)")
            }
            let rest = b.count - at
            let start = b.base + at
            guard let nul = memchr(start, 0, rest) else {
                throw KenLMError.corrupt(file: b.file, what: "the vocabulary strings never end (no NUL after word \(words.count))")
            }
            let length = UnsafeRawPointer(nul) - start
            words.append(String(decoding: UnsafeRawBufferPointer(start: start, count: length), as: UTF8.self))
            at += length + 1
        }
        guard words.first == "<unk>" else {
            throw KenLMError.corrupt(file: b.file, what: "the vocabulary strings do not start with <unk>")
        }
        return words
    }
}
