/// A probing hash table that grows while an ARPA file is read; its slots are copied as-is into
/// the model image afterwards.
struct BuildTable {
    private(set) var entries: [TableEntry]
    private(set) var count = 0

    init(expected: Int) {
        entries = Array(repeating: TableEntry(key: 0, prob: 0, backoff: -0.0), count: WordHash.buckets(for: expected))
    }

    var buckets: Int { entries.count }

    /// The slot holding `key` (already a slot key, never 0), or nil.
    func find(_ key: UInt64) -> Int? {
        var i = WordHash.bucket(key, entries.count)
        while true {
            let k = entries[i].key
            if k == key { return i }
            if k == 0 { return nil }
            i += 1
            if i == entries.count { i = 0 }
        }
    }

    /// Starts loading the first slot `key` would probe.
    func prefetch(_ key: UInt64) {
        entries.withUnsafeBufferPointer { p in
            NGram.prefetch(UnsafeRawPointer(p.baseAddress! + WordHash.bucket(key, p.count)))
        }
    }

    /// Inserts `key` with `prob`/`backoff` unless present; returns its slot and whether it was new.
    mutating func findOrInsert(_ key: UInt64, prob: Float, backoff: Float) -> (slot: Int, inserted: Bool) {
        // Keep the load ≤ 0.9 so probes stay short; blanks for pruned suffixes may exceed the
        // count that \data\ announced.
        if (count + 1) * 10 > entries.count * 9 { grow() }
        var i = WordHash.bucket(key, entries.count)
        while true {
            let k = entries[i].key
            if k == key { return (i, false) }
            if k == 0 {
                entries[i] = TableEntry(key: key, prob: prob, backoff: backoff)
                count += 1
                return (i, true)
            }
            i += 1
            if i == entries.count { i = 0 }
        }
    }

    subscript(slot: Int) -> TableEntry {
        get { entries[slot] }
        set { entries[slot] = newValue }
    }

    private mutating func grow() {
        let old = entries
        entries = Array(repeating: TableEntry(key: 0, prob: 0, backoff: -0.0), count: old.count * 2)
        count = 0
        for e in old where e.key != 0 { _ = findOrInsert(e.key, prob: e.prob, backoff: e.backoff) }
    }
}
