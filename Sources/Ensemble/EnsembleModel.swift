import Foundation
import LMCore

/// A linear interpolation of other models, served as one model: P(w | h) = Σ_m λ_m P_m(w | h)
/// (the rule and its vocabulary convention: `Mixture`).
///
/// Every batched call is one batched call of each member on the same batch, so the scheduler
/// batches ensemble requests as it batches any model's. Members are any `LanguageModel`s
/// (N-gram, LSTM, another ensemble) sharing a tokenizer (the server checks that); the ensemble
/// is built from loaded members only, by `init(members:)`, so it can be rebuilt when one is
/// reloaded.
package struct EnsembleModel: LanguageModel {
    /// Each member's state, in member order.
    package struct State: Sendable {
        var members: [any Sendable]
    }

    /// One member: the name it is known by, its model, its weight.
    package struct Member: Sendable {
        package var name: String
        package var model: any LanguageModel
        package var weight: Double

        package init(name: String, model: any LanguageModel, weight: Double) {
            self.name = name
            self.model = model
            self.weight = weight
        }
    }

    package let description: ModelDescription
    package var vocabulary: Vocabulary { vocabularies.union }
    package let weights: [Double]
    private let members: [any ErasedModel]
    private let vocabularies: EnsembleVocabulary

    /// - Throws: `EnsembleError` when the weights are not non-negative and summing to 1.
    package init(members: [Member], path: String = "") throws {
        let weights = members.map(\.weight)
        if let problem = Mixture.problem(weights: weights) { throw EnsembleError(message: problem) }
        self.init(erased: members.map { erase($0.model) }, weights: weights, names: members.map(\.name), path: path)
    }

    private init(erased: [any ErasedModel], weights: [Double], names: [String], path: String) {
        self.members = erased
        self.weights = weights
        self.vocabularies = EnsembleVocabulary(erased.map(\.vocabulary))
        self.description = ModelDescription(
            type: "ensemble", format: "ensemble", path: path, vocabularySize: vocabularies.union.count,
            members: zip(names, weights).map { ModelMember(name: $0, weight: $1) })
    }

    package func using(threads: Int) -> EnsembleModel {
        EnsembleModel(
            erased: members.map { $0.using(threads: threads) }, weights: weights, names: description.members.map(\.name),
            path: description.path)
    }

    package func initialState(sentenceContext: Bool) -> State {
        State(members: members.map { $0.initialState(sentenceContext: sentenceContext) })
    }

    /// Member m's ids for union ids `tokens`.
    private func ids(_ tokens: some Collection<TokenID>, member m: Int) -> [TokenID] {
        let to = vocabularies.toMember[m]
        return tokens.map { Int($0) < to.count ? to[Int($0)] : to[Int(vocabularies.union.unknown)] }
    }

    package func advance(_ states: inout [State], by tokens: [TokenID]) {
        precondition(states.count == tokens.count, "one token per state")
        for m in members.indices {
            var own = states.map { $0.members[m] }
            members[m].advance(&own, by: ids(tokens, member: m))
            for i in states.indices { states[i].members[m] = own[i] }
        }
    }

    /// Each member's batched scoring of the same chunks, mixed token by token; the members' own
    /// scores ride along in `members`.
    package func scoreChunksLog10(_ states: inout [State], tokens: [ArraySlice<TokenID>]) -> ChunkScores {
        precondition(states.count == tokens.count, "one chunk per state")
        var perMember: [[[Float]]] = []
        for m in members.indices {
            var own = states.map { $0.members[m] }
            perMember.append(members[m].scoreChunksLog10(&own, tokens: tokens.map { ArraySlice(ids($0, member: m)) }))
            for i in states.indices { states[i].members[m] = own[i] }
        }
        let known = vocabularies.known
        let mixed = tokens.indices.map { i in
            tokens[i].indices.enumerated().map { j, position in
                let u = Int(tokens[i][position])
                return Mixture.log10Prob(
                    weights: weights, log10Prob: { perMember[$0][i][j] }, known: { u < known[$0].count && known[$0][u] })
            }
        }
        return ChunkScores(log10Probs: mixed, members: perMember)
    }

    package func scoreChunks(_ states: inout [State], tokens: [ArraySlice<TokenID>]) -> [[Float]] {
        let ln10 = LogBase.ln10Float
        return scoreChunksLog10(&states, tokens: tokens).log10Probs.map { $0.map { $0 * ln10 } }
    }

    /// Each member's `score(sentence:)`, mixed token by token (`lmserve ppl`).
    package func score(sentence words: [Substring], sentenceContext: Bool) -> [TokenScore] {
        let (ids, oov) = tokens(of: words, sentenceContext: sentenceContext)
        let scores = members.map { $0.score(sentence: words, sentenceContext: sentenceContext) }
        let known = vocabularies.known
        return ids.indices.map { j in
            let u = Int(ids[j])
            let p = Mixture.log10Prob(weights: weights, log10Prob: { scores[$0][j].log10Prob }, known: { known[$0][u] })
            return TokenScore(id: ids[j], log10Prob: p, ngramLength: 0, isOOV: oov[j])
        }
    }

    /// Row i over the union vocabulary: ln Σ_m λ_m P_m(w | states[i]), a member contributing
    /// to the words it has (its `<unk>` mass to the union's `<unk>`), so each row sums to 1.
    package func nextTokenLogProbs(_ states: [State], into output: UnsafeMutableBufferPointer<Float>) {
        let v = vocabularies.union.count
        precondition(output.count >= states.count * v, "output holds states.count × vocabulary.count floats")
        var mass = [Double](repeating: 0, count: states.count * v)
        for m in members.indices where weights[m] > 0 {
            let vm = members[m].vocabulary.count
            var rows = [Float](repeating: 0, count: states.count * vm)
            rows.withUnsafeMutableBufferPointer { members[m].nextTokenLogProbs(states.map { $0.members[m] }, into: $0) }
            let from = vocabularies.fromMember[m]
            let w = weights[m]
            for i in states.indices {
                for k in 0..<vm {
                    let lp = rows[i * vm + k]
                    if lp == -.infinity || lp.isNaN { continue }
                    mass[i * v + Int(from[k])] += w * exp(Double(lp))
                }
            }
        }
        for i in 0..<(states.count * v) { output[i] = Float(log(mass[i])) }
    }
}

/// An ensemble that cannot be built: bad weights.
package struct EnsembleError: Error, CustomStringConvertible {
    package var message: String
    package var description: String { message }

    package init(message: String) { self.message = message }
}
