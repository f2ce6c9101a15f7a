import LMCore

/// A member of an ensemble with its `State` type erased, so one ensemble can hold an N-gram
/// model and an LSTM. Each call opens the states back to the member's own type; the cost is a
/// cast per state per call, small next to a batched step.
protocol ErasedModel: Sendable {
    var vocabulary: Vocabulary { get }
    var description: ModelDescription { get }
    func initialState(sentenceContext: Bool) -> any Sendable
    func advance(_ states: inout [any Sendable], by tokens: [TokenID])
    func nextTokenLogProbs(_ states: [any Sendable], into output: UnsafeMutableBufferPointer<Float>)
    func scoreChunksLog10(_ states: inout [any Sendable], tokens: [ArraySlice<TokenID>]) -> [[Float]]
    func score(sentence words: [Substring], sentenceContext: Bool) -> [TokenScore]
    func using(threads: Int) -> any ErasedModel
}

/// `ErasedModel` over a concrete model.
struct Erased<M: LanguageModel>: ErasedModel {
    let model: M

    var vocabulary: Vocabulary { model.vocabulary }
    var description: ModelDescription { model.description }

    func initialState(sentenceContext: Bool) -> any Sendable { model.initialState(sentenceContext: sentenceContext) }

    func advance(_ states: inout [any Sendable], by tokens: [TokenID]) {
        var own = states.map { $0 as! M.State }
        model.advance(&own, by: tokens)
        states = own
    }

    func nextTokenLogProbs(_ states: [any Sendable], into output: UnsafeMutableBufferPointer<Float>) {
        model.nextTokenLogProbs(states.map { $0 as! M.State }, into: output)
    }

    func scoreChunksLog10(_ states: inout [any Sendable], tokens: [ArraySlice<TokenID>]) -> [[Float]] {
        var own = states.map { $0 as! M.State }
        let scores = model.scoreChunksLog10(&own, tokens: tokens)
        states = own
        return scores.log10Probs
    }

    func score(sentence words: [Substring], sentenceContext: Bool) -> [TokenScore] {
        model.score(sentence: words, sentenceContext: sentenceContext)
    }

    func using(threads: Int) -> any ErasedModel { Erased(model: model.using(threads: threads)) }
}

/// Erases `model`'s state type (the existential is opened here).
func erase<M: LanguageModel>(_ model: M) -> any ErasedModel { Erased(model: model) }
