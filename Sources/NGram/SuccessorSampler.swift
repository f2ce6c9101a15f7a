import Foundation
import LMCore

/// What `SuccessorSampler` needs of a model's search: KenLM's `FullScore`, the slot of each
/// context in a state, and whether a context is followed by a word.
protocol SuccessorSearch: Sendable {
    var order: Int { get }
    var vocabularySize: Int { get }
    func fullScore(_ inState: NGramState, _ word: WordID, _ out: inout NGramState) -> (prob: Float, length: Int)
    /// The slot of the context made of the `m` most recent words of `state` (order m ≥ 1).
    func contextSlot(_ state: NGramState, order m: Int) -> Int?
    /// Whether the n-gram (the `k` most recent words of `state`, `word`) is in the model.
    func extends(_ state: NGramState, context k: Int, with word: WordID) -> Bool
    /// log10 p(word) of the unigram.
    func unigramLog10(_ word: WordID) -> Float
}

/// Draws the next word from exactly the distribution `nextTokenLogProbs` gives, without
/// computing it for every word.
///
/// After a state whose context words are c₁ (most recent) … cₙ, the model gives word w the
/// probability stored for the longest context c₁…cₖ followed by w, times the backoffs of the
/// longer contexts c₁…cⱼ (j > k). So the vocabulary splits into groups: group k (1 ≤ k ≤ n) is
/// the successors of c₁…cₖ that are not successors of c₁…cₖ₊₁, group 0 every other word. Group
/// k's mass is its backoff factor times (its context's successor mass minus what the longer
/// context's successors have in it, `SuccessorIndex.lower`), which takes no scan. One uniform
/// draw picks a group by mass; a second picks a word of the group's list by its running sums,
/// redrawn if it belongs to a longer context (exact rejection sampling, with a scan after many
/// rejections). Temperature T weighs words by p^(1/T): the group masses are then summed over
/// the lists (the unigram one from a cumulative table per temperature, cached). top_k and
/// top_p take the most probable words in order from a merge of the lists, each most probable
/// first. Excluded ids and `<s>` are never drawn, as in `Sampler`.
struct SuccessorSampler<Search: SuccessorSearch>: Sendable {
    let search: Search
    let index: SuccessorIndex
    let beginSentence: WordID
    let tables: TemperatureTables

    init(search: Search, index: SuccessorIndex, beginSentence: WordID) {
        self.search = search
        self.index = index
        self.beginSentence = beginSentence
        tables = TemperatureTables(index: index)
    }

    /// How many rejected draws in a group before its list is scanned instead.
    static var maxRejections: Int { 32 }

    /// One context of the state: its list and backoff factor.
    private struct Level {
        /// The list's entries (in `index.entries`, or `index.unigrams` for level 0).
        var range: Range<Int>
        /// log10 of the product of the backoffs of the longer contexts in the state.
        var log10Scale: Double
        /// Successor mass of this context in the next shorter one (`SuccessorIndex.lower`).
        var lower: Double
    }

    private func levels(_ state: NGramState) -> [Level]? {
        let n = Int(state.length)
        var levels: [Level] = []
        levels.reserveCapacity(n + 1)
        var scale = 0.0
        for k in stride(from: n, through: 0, by: -1) {
            if k < n { scale += Double(state.backoffs[k]) }
            if k == 0 {
                levels.append(Level(range: 0..<index.unigrams.count, log10Scale: scale, lower: 0))
            } else {
                guard let slot = search.contextSlot(state, order: k) else { return nil }
                levels.append(Level(range: index.list(order: k, slot: slot), log10Scale: scale, lower: index.lower[k - 1][slot]))
            }
        }
        return levels.reversed()
    }

    @inline(__always)
    private func entry(_ k: Int, _ i: Int) -> SuccessorEntry { k == 0 ? index.unigrams[i] : index.entries[i] }

    /// Whether `word` from level k's list belongs to a longer context (so not to group k).
    @inline(__always)
    private func covered(_ state: NGramState, _ k: Int, _ word: WordID) -> Bool {
        k < Int(state.length) && search.extends(state, context: k + 1, with: word)
    }

    /// Draws the next word and reports the `alternatives` most probable words; nil when this
    /// state needs the full distribution (nothing drawable, or a context not found).
    func draw(_ state: NGramState, sampler: inout Sampler, alternatives k: Int) -> NextToken? {
        guard let levels = levels(state) else { return nil }
        let excluded = sampler.excluded.filter { Int($0) < search.vocabularySize && $0 != beginSentence }.sorted()
        let p = sampler.parameters
        let id: WordID?
        if p.temperature < 1e-4 {
            id = greedy(state, levels, excluded)
        } else if (p.topK == 0 || p.topK >= search.vocabularySize) && p.topP >= 1 {
            id = drawAll(state, levels, excluded, invT: 1 / p.temperature, generator: &sampler.generator)
        } else {
            id = drawCut(state, levels, excluded, p, generator: &sampler.generator)
        }
        guard let id else { return nil }
        var out = NGramState()
        let logProb = search.fullScore(state, id, &out).prob * LogBase.ln10Float
        return NextToken(id: id, logProb: logProb, alternatives: k > 0 ? top(state, levels, k) : [])
    }

    // MARK: - Drawing from every word

    private func drawAll(_ state: NGramState, _ levels: [Level], _ excluded: [WordID], invT: Double, generator: inout SeededGenerator) -> WordID? {
        let unigramTable = invT == 1 ? nil : tables.table(invT: invT)
        let masses = groupMasses(state, levels, excluded, invT: invT, unigramTable: unigramTable)
        let total = masses.reduce(0, +)
        guard total > 0, total.isFinite else { return nil }
        var r = generator.nextUnit() * total
        var group = 0
        for k in stride(from: masses.count - 1, through: 0, by: -1) where masses[k] > 0 {
            group = k
            if r < masses[k] { break }
            r -= masses[k]
        }
        return drawInGroup(state, levels, group, excluded, invT: invT, table: group == 0 ? unigramTable : nil, generator: &generator)
    }

    /// Σ p(w)^(1/T) over the allowed words of each group k (index k).
    private func groupMasses(_ state: NGramState, _ levels: [Level], _ excluded: [WordID], invT: Double, unigramTable: [Double]?) -> [Double] {
        let n = levels.count - 1
        let plain = invT == 1
        var masses = [Double](repeating: 0, count: n + 1)
        for k in 0...n {
            let l = levels[k]
            let factor = exp(l.log10Scale * LogBase.ln10 * invT)
            let longer = k < n ? levels[k + 1].lower : 0
            if plain {
                let total = l.range.isEmpty ? 0 : entry(k, l.range.upperBound - 1).cumulative
                masses[k] = factor * max(0, total - longer)
            } else if k == 0 {
                var sum = unigramTable?.last ?? 0
                if n >= 1 {
                    for i in levels[1].range { sum -= weight(search.unigramLog10(index.entries[i].word), invT) }
                }
                masses[0] = factor * max(0, sum)
            } else {
                var sum = 0.0
                for i in l.range {
                    let e = index.entries[i]
                    if excluded.contains(e.word) || covered(state, k, e.word) { continue }
                    sum += weight(e.log10Prob, invT)
                }
                masses[k] = factor * sum
            }
        }
        // Excluded words leave their group (scanned groups already skipped them).
        var out = NGramState()
        for e in excluded {
            let r = search.fullScore(state, e, &out)
            let k = r.length - 1
            if plain || k == 0 { masses[k] = max(0, masses[k] - exp(Double(r.prob) * LogBase.ln10 * invT)) }
        }
        return masses
    }

    @inline(__always)
    private func weight(_ log10Prob: Float, _ invT: Double) -> Double { exp(Double(log10Prob) * LogBase.ln10 * invT) }

    /// A word of group k, by weight p^(1/T) of the stored probabilities.
    private func drawInGroup(
        _ state: NGramState, _ levels: [Level], _ k: Int, _ excluded: [WordID], invT: Double, table: [Double]?,
        generator: inout SeededGenerator
    ) -> WordID? {
        let range = levels[k].range
        guard !range.isEmpty else { return nil }
        // Running sums to draw from: the list's own (T = 1) or the unigram table for T.
        let sums: ((Int) -> Double)? = invT == 1 ? { entry(k, $0).cumulative } : table.map { t in { t[$0] } }
        if let sums {
            let total = sums(range.upperBound - 1)
            for _ in 0..<Self.maxRejections {
                let x = generator.nextUnit() * total
                var lo = range.lowerBound, hi = range.upperBound - 1
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if sums(mid) > x { hi = mid } else { lo = mid + 1 }
                }
                let w = entry(k, lo).word
                if !excluded.contains(w) && !covered(state, k, w) { return w }
            }
        }
        // Scan: the group's own words, by weight.
        var total = 0.0
        for i in range {
            let e = entry(k, i)
            if excluded.contains(e.word) || covered(state, k, e.word) { continue }
            total += weight(e.log10Prob, invT)
        }
        guard total > 0 else { return nil }
        var x = generator.nextUnit() * total
        var last: WordID?
        for i in range {
            let e = entry(k, i)
            if excluded.contains(e.word) || covered(state, k, e.word) { continue }
            let w = weight(e.log10Prob, invT)
            if w > 0 { last = e.word }
            x -= w
            if x < 0 { return e.word }
        }
        return last
    }

    // MARK: - The most probable words in order

    /// Merges the levels' lists into the words in order of exact log-probability (as
    /// `nextTokenLogProbs` computes it), most probable first. Within a level the order of the
    /// stored probabilities is that order, because the backoffs added are the same.
    private struct Merge {
        var cursors: [Int]
        var heads: [(id: WordID, logProb: Float)?]
    }

    private func startMerge(_ state: NGramState, _ levels: [Level], skipping excluded: [WordID]) -> Merge {
        var m = Merge(cursors: levels.map(\.range.lowerBound), heads: Array(repeating: nil, count: levels.count))
        for k in levels.indices { advance(&m, k, state, levels, excluded) }
        return m
    }

    private func advance(_ m: inout Merge, _ k: Int, _ state: NGramState, _ levels: [Level], _ excluded: [WordID]) {
        var out = NGramState()
        while m.cursors[k] < levels[k].range.upperBound {
            let e = entry(k, m.cursors[k])
            m.cursors[k] += 1
            if e.log10Prob == -.infinity || excluded.contains(e.word) || covered(state, k, e.word) { continue }
            m.heads[k] = (e.word, search.fullScore(state, e.word, &out).prob * LogBase.ln10Float)
            return
        }
        m.heads[k] = nil
    }

    private func next(_ m: inout Merge, _ state: NGramState, _ levels: [Level], _ excluded: [WordID]) -> (id: WordID, logProb: Float)? {
        var best = -1
        for k in m.heads.indices {
            guard let h = m.heads[k] else { continue }
            if best < 0 { best = k; continue }
            let b = m.heads[best]!
            if h.logProb > b.logProb || (h.logProb == b.logProb && h.id < b.id) { best = k }
        }
        guard best >= 0 else { return nil }
        let result = m.heads[best]!
        advance(&m, best, state, levels, excluded)
        return result
    }

    /// The `count` most probable words (at least), and every word as probable as the last of
    /// them, most probable first, ties by lower id.
    private func leading(_ state: NGramState, _ levels: [Level], _ excluded: [WordID], count: Int) -> [(id: WordID, logProb: Float)] {
        var m = startMerge(state, levels, skipping: excluded)
        var found: [(id: WordID, logProb: Float)] = []
        while let c = next(&m, state, levels, excluded) {
            if found.count >= count && c.logProb < found[count - 1].logProb { break }
            found.append(c)
        }
        found.sort { $0.logProb > $1.logProb || ($0.logProb == $1.logProb && $0.id < $1.id) }
        return found
    }

    /// `topAlternatives`: the k most probable words (excluded ids included, `<s>` never).
    private func top(_ state: NGramState, _ levels: [Level], _ k: Int) -> [(id: TokenID, logProb: Float)] {
        Array(leading(state, levels, [], count: k).prefix(k))
    }

    /// `Sampler`'s greedy choice: the most probable allowed word, ties to the lowest id.
    private func greedy(_ state: NGramState, _ levels: [Level], _ excluded: [WordID]) -> WordID? {
        leading(state, levels, excluded, count: 1).first?.id
    }

    /// `Sampler`'s top_k / top_p draw: the k most probable allowed words (all when k = 0), cut to
    /// the smallest most-probable prefix whose weight reaches top_p of the total.
    private func drawCut(
        _ state: NGramState, _ levels: [Level], _ excluded: [WordID], _ p: SamplingParameters, generator: inout SeededGenerator
    ) -> WordID? {
        let invT = 1 / p.temperature
        var kept: [(id: WordID, logProb: Float)]
        var weights: [Double]
        if p.topK > 0 {
            kept = Array(leading(state, levels, excluded, count: p.topK).prefix(p.topK))
            guard let first = kept.first else { return nil }
            let top = Double(first.logProb) * invT
            weights = kept.map { exp(Double($0.logProb) * invT - top) }
            if p.topP < 1 {
                let keep = nucleusSize(weights, topP: p.topP, total: weights.reduce(0, +))
                kept.removeSubrange(keep...)
                weights.removeSubrange(keep...)
            }
        } else {
            // top_p of the whole distribution: its total from the group masses, then the most
            // probable words until their weight reaches the share.
            guard let total = totalWeight(state, levels, excluded, invT: invT) else { return nil }
            var m = startMerge(state, levels, skipping: excluded)
            kept = []
            weights = []
            var cumulative = 0.0
            while let c = next(&m, state, levels, excluded) {
                let w = exp(Double(c.logProb) * invT)
                kept.append(c)
                weights.append(w)
                cumulative += w
                if cumulative >= p.topP * total { break }
            }
        }
        let total = weights.reduce(0, +)
        guard total > 0, !kept.isEmpty else { return nil }
        var x = generator.nextUnit() * total
        for (i, w) in weights.enumerated() {
            x -= w
            if x < 0 { return kept[i].id }
        }
        return kept[kept.count - 1].id
    }

    /// Σ p(w)^(1/T) over the allowed words.
    private func totalWeight(_ state: NGramState, _ levels: [Level], _ excluded: [WordID], invT: Double) -> Double? {
        let masses = groupMasses(state, levels, excluded, invT: invT, unigramTable: invT == 1 ? nil : tables.table(invT: invT))
        let total = masses.reduce(0, +)
        return total > 0 && total.isFinite ? total : nil
    }
}

/// Running sums of p(w)^(1/T) over the unigram list, per temperature: built on a temperature's
/// first use (one pass over the vocabulary), a few kept.
final class TemperatureTables: @unchecked Sendable {  // `cache` guarded by `lock`
    private let index: SuccessorIndex
    private let lock = NSLock()
    private var cache: [(invT: Double, sums: [Double])] = []
    static let kept = 4

    init(index: SuccessorIndex) { self.index = index }

    func table(invT: Double) -> [Double] {
        lock.withLock {
            if let i = cache.firstIndex(where: { $0.invT == invT }) {
                let hit = cache.remove(at: i)
                cache.append(hit)
                return hit.sums
            }
            var sum = 0.0
            let sums = index.unigrams.map { e -> Double in
                sum += exp(Double(e.log10Prob) * LogBase.ln10 * invT)
                return sum
            }
            if cache.count >= Self.kept { cache.removeFirst() }
            cache.append((invT, sums))
            return sums
        }
    }
}
