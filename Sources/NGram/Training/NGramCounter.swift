#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One distinct n-gram and how often it occurred.
struct CountedNGram {
    var key: CountKey
    var count: UInt32
}

/// Counts the highest-order n-grams of a token stream in an open-addressing table of packed keys.
///
/// Each sentence is padded on the left with `order - 1` `<s>` (as lmplz does), so n-grams that
/// start a sentence appear as keys whose second word is `<s>`. When the table would outgrow
/// `memoryBytes`, its entries are sorted and written to a temporary file (a run); `finish` merges
/// the runs k-way, summing equal keys.
struct NGramCounter {
    let layout: CountKeyLayout
    let order: Int
    private let maxCapacity: Int
    private let temporaryDirectory: String
    private var keys: [CountKey]
    private var counts: [UInt32]
    private var used = 0
    private var runs: [String] = []
    private(set) var spilledRuns = 0

    init(layout: CountKeyLayout, order: Int, memoryBytes: Int, temporaryDirectory: String) {
        self.layout = layout
        self.order = order
        // 20 bytes a slot, plus 24 bytes an entry (at most 3/4 of the slots) to sort a run.
        var cap = 16
        while cap * 2 * 38 <= memoryBytes { cap *= 2 }
        maxCapacity = cap
        self.temporaryDirectory = temporaryDirectory
        let initial = min(cap, 1 << 16)
        keys = [CountKey](repeating: .zero, count: initial)
        counts = [UInt32](repeating: 0, count: initial)
    }

    /// The all-`<s>` window a sentence starts from.
    var padding: CountKey {
        var k = CountKey.zero
        for i in 0..<order { k = layout.setting(k, i, TrainingVocabulary.bos) }
        return k
    }

    /// Counts every n-gram of `stream`, ids mapped through `remap` when given; `include(i)` says
    /// whether sentence `i` takes part.
    mutating func count(_ stream: TrainingTokenStream, remap: [UInt32]? = nil, include: ((Int) -> Bool)? = nil) throws {
        let pad = padding
        var cur = pad
        var sentence = 0
        var skipping = include.map { !$0(0) } ?? false
        let last = order - 1
        try stream.forEachChunk { chunk in
            for raw in chunk {
                let id = remap?[Int(raw)] ?? raw
                if !skipping {
                    cur = layout.setting(layout.droppingFirst(cur), last, id)
                    try add(cur)
                }
                if id == TrainingVocabulary.eos {
                    cur = pad
                    sentence += 1
                    if let include { skipping = !include(sentence) }
                }
            }
        }
    }

    @inline(__always)
    mutating func add(_ key: CountKey) throws {
        var mask = keys.count - 1
        var i = Int(truncatingIfNeeded: key.mixed) & mask
        while counts[i] != 0 {
            if keys[i] == key {
                counts[i] &+= 1
                return
            }
            i = (i + 1) & mask
        }
        keys[i] = key
        counts[i] = 1
        used += 1
        if used * 4 > keys.count * 3 || (used * 2 > keys.count && keys.count < maxCapacity) {
            if keys.count < maxCapacity {
                grow()
                mask = keys.count - 1
            } else {
                try spill()
            }
        }
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldCounts = counts
        keys = [CountKey](repeating: .zero, count: oldKeys.count * 2)
        counts = [UInt32](repeating: 0, count: oldKeys.count * 2)
        let mask = keys.count - 1
        for j in oldKeys.indices where oldCounts[j] != 0 {
            var i = Int(truncatingIfNeeded: oldKeys[j].mixed) & mask
            while counts[i] != 0 { i = (i + 1) & mask }
            keys[i] = oldKeys[j]
            counts[i] = oldCounts[j]
        }
    }

    /// The table's entries, sorted by key; empties the table.
    private mutating func drain() -> [CountedNGram] {
        var out: [CountedNGram] = []
        out.reserveCapacity(used)
        for i in keys.indices where counts[i] != 0 {
            out.append(CountedNGram(key: keys[i], count: counts[i]))
            counts[i] = 0
        }
        used = 0
        out.sort { $0.key < $1.key }
        return out
    }

    private mutating func spill() throws {
        let entries = drain()
        let (fd, path) = try makeSpillFile(in: temporaryDirectory, prefix: "lmserve-counts")
        runs.append(path)
        spilledRuns += 1
        defer { close(fd) }
        try entries.withUnsafeBytes { try spillWrite(fd, $0, path: path) }
    }

    /// Removes the spill files.
    func removeRuns() {
        for r in runs { unlink(r) }
    }

    /// Every distinct n-gram with its count, sorted by key.
    mutating func finish() throws -> [CountedNGram] {
        if runs.isEmpty {
            let out = drain()
            keys = []
            counts = []
            return out
        }
        var out: [CountedNGram] = []
        try finish { out.append($0) }
        return out
    }

    /// Distinct n-grams counted so far (entries of the table; 0 once runs have spilled).
    var distinctInMemory: Int { runs.isEmpty ? used : 0 }

    /// Calls `emit` with every distinct n-gram and its count, in key order; empties the counter.
    mutating func finish(_ emit: (CountedNGram) throws -> Void) throws {
        if runs.isEmpty {
            let out = drain()
            keys = []
            counts = []
            for e in out { try emit(e) }
            return
        }
        if used > 0 { try spill() }
        keys = []
        counts = []
        defer { removeRuns() }
        // Merge at most `fanIn` runs at once (open files are limited): earlier passes merge
        // groups of runs into longer runs.
        let fanIn = 64
        while runs.count > fanIn {
            let group = Array(runs.prefix(fanIn))
            let (fd, path) = try makeSpillFile(in: temporaryDirectory, prefix: "lmserve-counts")
            close(fd)
            runs.append(path)
            try RunMerger(paths: group, bufferEntries: max(1024, maxCapacity / (fanIn + 1))).merge(toFile: path)
            for r in group { unlink(r) }
            runs.removeFirst(fanIn)
        }
        try RunMerger(paths: runs, bufferEntries: max(1024, maxCapacity / max(1, runs.count))).merge(summing: emit)
    }
}
