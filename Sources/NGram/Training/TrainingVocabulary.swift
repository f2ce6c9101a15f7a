/// The training vocabulary: word bytes → id, by open addressing over one byte arena.
///
/// Ids follow KenLM: `<unk>` = 0, `<s>` = 1, `</s>` = 2, then words in order of first appearance.
struct TrainingVocabulary {
    static let unk: UInt32 = 0
    static let bos: UInt32 = 1
    static let eos: UInt32 = 2

    private(set) var arena: [UInt8] = []
    /// Word `i` is `arena[offsets[i] ..< offsets[i + 1]]`.
    private(set) var offsets: [Int] = [0]
    private var slots: [Int32]
    private var hashes: [UInt64] = []

    init() {
        slots = [Int32](repeating: -1, count: 1 << 12)
        for w in ["<unk>", "<s>", "</s>"] {
            var s = w
            _ = s.withUTF8 { id(of: $0) }
        }
    }

    var count: Int { offsets.count - 1 }

    func word(_ id: Int) -> String {
        String(decoding: arena[offsets[id]..<offsets[id + 1]], as: UTF8.self)
    }

    @inline(__always)
    static func hash(_ p: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in p { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h ^ (h >> 29)
    }

    /// The id of the word in `p`, or nil when it is not in the table.
    func find(_ p: UnsafeBufferPointer<UInt8>) -> UInt32? {
        let h = Self.hash(p)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s < 0 { return nil }
            if hashes[Int(s)] == h && equals(Int(s), p) { return UInt32(s) }
            i = (i + 1) & mask
        }
    }

    /// The id of the word in `p`, adding it when new.
    @inline(__always)
    mutating func id(of p: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let h = Self.hash(p)
        var mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s < 0 { break }
            if hashes[Int(s)] == h && equals(Int(s), p) { return UInt32(s) }
            i = (i + 1) & mask
        }
        let newID = Int32(count)
        arena.append(contentsOf: p)
        offsets.append(arena.count)
        hashes.append(h)
        slots[i] = newID
        if count * 2 > slots.count {
            slots = [Int32](repeating: -1, count: slots.count * 2)
            mask = slots.count - 1
            for (w, wh) in hashes.enumerated() {
                var j = Int(truncatingIfNeeded: wh) & mask
                while slots[j] >= 0 { j = (j + 1) & mask }
                slots[j] = Int32(w)
            }
        }
        return UInt32(newID)
    }

    @inline(__always)
    private func equals(_ id: Int, _ p: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = offsets[id]
        let n = offsets[id + 1] - start
        guard n == p.count else { return false }
        return arena.withUnsafeBufferPointer { a in
            var k = 0
            while k < n {
                if a[start + k] != p[k] { return false }
                k += 1
            }
            return true
        }
    }
}
