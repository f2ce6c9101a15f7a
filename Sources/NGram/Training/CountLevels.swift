/// The n-grams of one order, sorted by key (lexicographic word ids), with their counts and, once
/// estimated, their probabilities.
struct CountLevel {
    let order: Int
    var keys: [CountKey] = []
    /// Occurrences in the (padded) text.
    var raw: [UInt32] = []
    /// Kneser-Ney counts: distinct left extensions, or `raw` for the highest order and for n-grams
    /// that start with `<s>` (lmplz's adjusted counts).
    var adjusted: [UInt32] = []
    /// Index in the level below of each entry's suffix (the n-gram without its first word).
    var suffix: [Int32] = []
    /// Linear probability p(w | context); filled by estimation.
    var prob: [Double] = []
    /// Linear backoff weight of the entry as a context; 1 where it has no extension.
    var backoff: [Double] = []
    /// False for entries dropped by `--prune`; empty = all kept.
    var kept: [Bool] = []

    var count: Int { keys.count }

    @inline(__always)
    func isKept(_ i: Int) -> Bool { kept.isEmpty || kept[i] }
}

/// Every order's n-grams, unigrams first, derived from the highest-order counts as lmplz's
/// adjust-counts step does.
struct CountLevels {
    let layout: CountKeyLayout
    let order: Int
    /// Vocabulary size including `<unk>`, `<s>` and `</s>`.
    let vocabularySize: Int
    var levels: [CountLevel]

    /// Whether entry `i` of order `k` (1-based) is an n-gram of the model; false for the
    /// `<s> <s> …` padding keys that only carry counts down to lower orders.
    @inline(__always)
    func isReal(_ k: Int, _ i: Int) -> Bool {
        k == 1 || layout.word(levels[k - 1].keys[i], 1) != TrainingVocabulary.bos
    }

    subscript(order: Int) -> CountLevel {
        get { levels[order - 1] }
        set { levels[order - 1] = newValue }
    }

    /// Builds every order from the sorted, distinct highest-order counts.
    init(top: [CountedNGram], order: Int, layout: CountKeyLayout, vocabularySize: Int) {
        self.layout = layout
        self.order = order
        self.vocabularySize = vocabularySize
        var levels = [CountLevel](repeating: CountLevel(order: 0), count: order)
        var topLevel = CountLevel(order: order)
        topLevel.keys = top.map(\.key)
        topLevel.raw = top.map(\.count)
        topLevel.adjusted = topLevel.raw
        levels[order - 1] = topLevel
        if order >= 2 {
            for k in stride(from: order - 1, through: 1, by: -1) {
                levels[k - 1] = Self.derive(from: &levels[k], layout: layout)
            }
        }
        // <unk> and <s> are unigrams even when unseen (count 0); ids 0 and 1 sort first.
        let oldUnigrams = levels[0].keys
        var inserted: [CountKey] = []
        for (position, special) in [TrainingVocabulary.unk, TrainingVocabulary.bos].enumerated() {
            let key = layout.setting(.zero, 0, special)
            if position < levels[0].keys.count && levels[0].keys[position] == key { continue }
            levels[0].keys.insert(key, at: position)
            levels[0].raw.insert(0, at: position)
            levels[0].adjusted.insert(0, at: position)
            inserted.append(key)
        }
        if !inserted.isEmpty && order >= 2 {
            for i in levels[1].suffix.indices {
                let old = Int(levels[1].suffix[i])
                let before = inserted.filter { $0 < oldUnigrams[old] }.count
                levels[1].suffix[i] = Int32(old + before)
            }
        }
        self.levels = levels
    }

    private struct SuffixRef {
        var key: CountKey
        var index: Int32
    }

    /// The level below `upper`: its suffixes grouped, with raw counts summed and adjusted counts
    /// as the number of distinct left extensions. Fills `upper.suffix`.
    private static func derive(from upper: inout CountLevel, layout: CountKeyLayout) -> CountLevel {
        let n = upper.count
        var refs = [SuffixRef]()
        refs.reserveCapacity(n)
        for i in 0..<n { refs.append(SuffixRef(key: layout.droppingFirst(upper.keys[i]), index: Int32(i))) }
        refs.sort { $0.key < $1.key }
        var lower = CountLevel(order: upper.order - 1)
        upper.suffix = [Int32](repeating: 0, count: n)
        var i = 0
        while i < n {
            let key = refs[i].key
            let newIndex = Int32(lower.keys.count)
            var sum: UInt32 = 0
            var j = i
            while j < n && refs[j].key == key {
                let e = Int(refs[j].index)
                sum &+= upper.raw[e]
                upper.suffix[e] = newIndex
                j += 1
            }
            lower.keys.append(key)
            lower.raw.append(sum)
            lower.adjusted.append(layout.word(key, 0) == TrainingVocabulary.bos ? sum : UInt32(j - i))
            i = j
        }
        return lower
    }

    /// The index of `key` in order `k`, by binary search.
    func find(_ key: CountKey, order k: Int) -> Int? {
        let keys = levels[k - 1].keys
        var lo = 0
        var hi = keys.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if keys[mid] < key { lo = mid + 1 } else { hi = mid }
        }
        return lo < keys.count && keys[lo] == key ? lo : nil
    }
}
