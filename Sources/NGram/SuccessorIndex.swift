import Foundation
import LMCore

/// One word seen after a context: its id, its stored log10 probability in that context, and
/// the running sum of the linear probabilities of its list up to and including it.
struct SuccessorEntry: Sendable, Equatable {
    var word: WordID
    var log10Prob: Float
    var cumulative: Double
}

/// Per context, the words the model stores after it (its successors), most probable first,
/// so that a next word can be drawn (`SuccessorSampler`) in time proportional to the
/// successors of the contexts in the state rather than to the vocabulary.
///
/// Contexts of order m (1…N−1) are addressed by their slot: the word id for m = 1, the slot of
/// the context's entry in the order-m table otherwise. Context slot s of order m owns
/// `entries[starts[m−1][s] ..< starts[m−1][s+1]]`; `lower[m−1][s]` is the linear probability
/// mass its successors have in the context one word shorter (what backing off from it to that
/// context must leave out). The empty context's list, `unigrams`, holds every word.
/// `<s>` (which is never generated) is in no list.
///
/// Every n-gram of order ≥ 2 is one entry: 16 bytes per n-gram, 12 per context slot, 16 per word.
// @unchecked: the lists are written once (built, or mapped from a `.lmb` file), then only read.
final class SuccessorIndex: @unchecked Sendable {
    let entries: UnsafeBufferPointer<SuccessorEntry>
    let starts: [UnsafeBufferPointer<UInt32>]
    let lower: [UnsafeBufferPointer<Double>]
    let unigrams: UnsafeBufferPointer<SuccessorEntry>
    /// What keeps the memory alive: the buffers this index allocated, or the model storage.
    private let owned: [UnsafeMutableRawPointer]
    private let storage: ModelStorage?

    /// The n-gram of order m + 1 behind one entry, resolved to slots and probabilities.
    struct Record {
        /// Slot of the context (order m).
        var context: UInt32
        var word: WordID
        var log10Prob: Float
        /// log10 p(word | the context without its oldest word).
        var suffixLog10Prob: Float
    }

    /// The bytes the lists take.
    var memoryBytes: Int {
        (entries.count + unigrams.count) * MemoryLayout<SuccessorEntry>.stride + starts.reduce(0) { $0 + $1.count * 4 }
            + lower.reduce(0) { $0 + $1.count * 8 }
    }

    /// Lists that live in `storage` (a mapped `.lmb` file).
    init(storage: ModelStorage, entries: UnsafeBufferPointer<SuccessorEntry>, starts: [UnsafeBufferPointer<UInt32>],
         lower: [UnsafeBufferPointer<Double>], unigrams: UnsafeBufferPointer<SuccessorEntry>) {
        self.entries = entries
        self.starts = starts
        self.lower = lower
        self.unigrams = unigrams
        self.storage = storage
        owned = []
    }

    /// Lists copied out of arrays into memory this index owns.
    init(entries: [SuccessorEntry], starts: [[UInt32]], lower: [[Double]], unigrams: [SuccessorEntry]) {
        var owned: [UnsafeMutableRawPointer] = []
        func copy<T>(_ a: [T]) -> UnsafeBufferPointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: max(a.count, 1))
            _ = UnsafeMutableBufferPointer(start: p, count: a.count).initialize(from: a)
            owned.append(UnsafeMutableRawPointer(p))
            return UnsafeBufferPointer(start: p, count: a.count)
        }
        self.entries = copy(entries)
        self.starts = starts.map { copy($0) }
        self.lower = lower.map { copy($0) }
        self.unigrams = copy(unigrams)
        self.owned = owned
        storage = nil
    }

    deinit { for p in owned { p.deallocate() } }

    /// Builds the lists from every n-gram of order ≥ 2: `records[m − 1]` are those whose context
    /// has order m, `contextSlots[m − 1]` how many slots contexts of order m have.
    /// `unigramLog10` gives each word's unigram probability; `excluded` (`<s>`) is left out.
    convenience init(records: [[Record]], contextSlots: [Int], unigramLog10: [Float], excluded: WordID?) {
        var entries: [SuccessorEntry] = []
        var starts: [[UInt32]] = []
        var lower: [[Double]] = []
        entries.reserveCapacity(records.reduce(0) { $0 + $1.count })
        for (m, list) in records.enumerated() {
            let slots = contextSlots[m]
            var counts = [UInt32](repeating: 0, count: slots + 1)
            for r in list where r.word != excluded { counts[Int(r.context) + 1] += 1 }
            let base = UInt32(entries.count)
            counts[0] = base
            for s in 0..<slots { counts[s + 1] += counts[s] }
            precondition(Int(counts[slots]) == entries.count + list.count(where: { $0.word != excluded }), "successor counts")
            var fill = counts
            var mass = [Double](repeating: 0, count: slots)
            entries.append(contentsOf: repeatElement(SuccessorEntry(word: 0, log10Prob: 0, cumulative: 0), count: Int(counts[slots] - base)))
            for r in list where r.word != excluded {
                let at = Int(fill[Int(r.context)])
                entries[at] = SuccessorEntry(word: r.word, log10Prob: r.log10Prob, cumulative: 0)
                fill[Int(r.context)] += 1
                mass[Int(r.context)] += Self.linear(r.suffixLog10Prob)
            }
            entries.withUnsafeMutableBufferPointer { e in
                for s in 0..<slots where counts[s + 1] > counts[s] {
                    Self.order(UnsafeMutableBufferPointer(rebasing: e[Int(counts[s])..<Int(counts[s + 1])]))
                }
            }
            starts.append(counts)
            lower.append(mass)
        }
        var unigrams = unigramLog10.enumerated().compactMap { id, p in
            WordID(id) == excluded ? nil : SuccessorEntry(word: WordID(id), log10Prob: p, cumulative: 0)
        }
        unigrams.withUnsafeMutableBufferPointer { Self.order($0) }
        self.init(entries: entries, starts: starts, lower: lower, unigrams: unigrams)
    }

    /// Sorts a list most probable first (ties: lower id first) and fills in its running sums.
    private static func order(_ list: UnsafeMutableBufferPointer<SuccessorEntry>) {
        var list = list
        list.sort(by: Self.precedes)
        var sum = 0.0
        for i in list.indices {
            sum += linear(list[i].log10Prob)
            list[i].cumulative = sum
        }
    }

    /// List order: more probable first, then lower id.
    static func precedes(_ a: SuccessorEntry, _ b: SuccessorEntry) -> Bool {
        if a.log10Prob != b.log10Prob { return a.log10Prob > b.log10Prob }
        return a.word < b.word
    }

    @inline(__always)
    static func linear(_ log10Prob: Float) -> Double { exp(Double(log10Prob) * LogBase.ln10) }

    /// The successors of context slot `slot` of order `m` (1…N−1).
    @inline(__always)
    func list(order m: Int, slot: Int) -> Range<Int> {
        let s = starts[m - 1]
        return Int(s[slot])..<Int(s[slot + 1])
    }
}

extension SuccessorIndex {
    /// The lists of a version 2 `.lmb` file, where they lie; every list bound and word id is
    /// checked once, since the payload checksum is optional.
    /// - Throws: `LMBError.corrupt`.
    convenience init(mapped storage: ModelStorage, path: String) throws {
        let l = storage.layout
        let b = storage.base
        func buffer<T>(_ offset: Int, _ count: Int, _: T.Type) -> UnsafeBufferPointer<T> {
            UnsafeBufferPointer(start: (b + offset).assumingMemoryBound(to: T.self), count: count)
        }
        let entries = buffer(l.successorEntriesOffset, l.successorEntries, SuccessorEntry.self)
        let unigrams = buffer(l.successorUnigramsOffset, l.successorUnigrams, SuccessorEntry.self)
        var starts: [UnsafeBufferPointer<UInt32>] = []
        var lower: [UnsafeBufferPointer<Double>] = []
        for m in 1..<max(l.order, 1) {
            let slots = m == 1 ? l.vocabularySize : l.tableBuckets[m - 2]
            let s = buffer(l.successorStartsOffsets[m - 1], slots + 1, UInt32.self)
            // Each order's lists follow the previous order's and rise.
            let first = m == 1 ? 0 : starts[m - 2][starts[m - 2].count - 1]
            guard s[0] == first, Int(s[slots]) <= entries.count, zip(s, s.dropFirst()).allSatisfy({ $0 <= $1 }) else {
                throw LMBError.corrupt(file: path, what: "successor lists")
            }
            starts.append(s)
            lower.append(buffer(l.successorLowerOffsets[m - 1], slots, Double.self))
        }
        guard entries.allSatisfy({ Int($0.word) < l.vocabularySize }), unigrams.allSatisfy({ Int($0.word) < l.vocabularySize }) else {
            throw LMBError.corrupt(file: path, what: "successor lists")
        }
        self.init(storage: storage, entries: entries, starts: starts, lower: lower, unigrams: unigrams)
    }
}
