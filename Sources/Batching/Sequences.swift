import LMCore

/// A sentence being scored step by step (engine thread only).
struct ScoringSequence<State> {
    let job: Job
    let sentence: Int
    var state: State
    /// Ids to score in order (words, then `</s>` with sentence context).
    let tokens: [TokenID]
    let oov: [Bool]
    var position = 0
    var log10Probs: [Float] = []
    /// A mixture's members' own scores of the same tokens (`ChunkScores.members`), per member.
    var memberLog10Probs: [[Float]] = []
}

/// A choice being generated (engine thread only).
struct GenerationSequence<State> {
    let job: Job
    let request: GenerationRequest
    var state: State
    /// Prompt tokens fed so far; generation starts when all are.
    var prefilled = 0
    var produced = 0
    var sampler: Sampler

    var isPrefilling: Bool { prefilled < request.prompt.count }
}
