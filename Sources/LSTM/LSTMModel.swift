import Foundation
import LMCore
import Logging

/// A PyTorch-compatible LSTM language model (embedding → stacked nn.LSTM → linear decoder).
///
/// Conventions (those of ../shared/reference/pytorch): every sentence starts from a zero state
/// fed the start token (`</s>`, which doubles as BOS); the targets are the words then `</s>`;
/// unknown words are scored as `<unk>`. Probabilities are log-softmax over the vocabulary,
/// natural log inside, log10 in `TokenScore`. Immutable and shareable across threads.
package struct LSTMModel: LanguageModel {
    /// The recurrent state after a prefix: for each layer its output h (P or H wide) then its
    /// cell c (H wide), in one buffer. The top layer's h determines the next-token distribution.
    package struct State: Sendable, Equatable {
        package var values: [Float]
    }

    package let description: ModelDescription
    package let vocabulary: Vocabulary
    package let weights: LSTMWeights
    /// The token every sentence starts with (`</s>` in the PyTorch convention).
    package let startToken: TokenID
    private let startState: State

    package var configuration: LSTMConfiguration { weights.configuration }

    /// Builds a model from loaded weights.
    /// - Precondition: `vocabulary.count == weights.configuration.vocabularySize`.
    package init(
        weights: LSTMWeights, vocabulary: Vocabulary, startToken: TokenID? = nil, path: String = "",
        format: String = SafetensorsFormat().name
    ) {
        precondition(vocabulary.count == weights.configuration.vocabularySize)
        let c = weights.configuration
        self.weights = weights
        self.vocabulary = vocabulary
        self.startToken = startToken ?? vocabulary.beginOfSentence ?? vocabulary.endOfSentence
        self.description = ModelDescription(
            type: "lstm", format: format, path: path, vocabularySize: c.vocabularySize,
            parameters: [
                ModelParameter("layers", c.layers), ModelParameter("hidden_size", c.hiddenSize),
                ModelParameter("embedding_size", c.embeddingSize),
            ], compute: ComputeBackend.current.summary)
        var states = [State(values: [Float](repeating: 0, count: c.layers * (c.outputSize + c.hiddenSize)))]
        Self.step(weights, &states, tokens: [self.startToken])
        self.startState = states[0]
    }

    /// Loads a safetensors file (F32, F16 or BF16) and its vocabulary.
    /// - Throws: `SafetensorsError` (file, tensors, shapes) or `LSTMLoadError` (vocabulary).
    package static func load(path: String, logger: Logger) throws -> LSTMModel {
        let reader = try SafetensorsReader(path: path)
        let weights = try LSTMWeights(reader: reader)
        let vocabulary = try loadVocabulary(reader: reader, rows: weights.configuration.vocabularySize)
        let c = weights.configuration
        let dtypes = Set(reader.entries.values.map(\.dtype.rawValue)).sorted().joined(separator: ",")
        ComputeBackend.current.logOnce(logger)
        logger.info(
            "loaded LSTM model",
            metadata: [
                "path": "\(path)", "layers": "\(c.layers)", "embedding": "\(c.embeddingSize)",
                "hidden": "\(c.hiddenSize)", "projection": "\(c.projectionSize)",
                "vocabulary": "\(c.vocabularySize)", "dtype": "\(dtypes)", "compute": "\(ComputeBackend.current.summary)",
            ])
        return LSTMModel(weights: weights, vocabulary: vocabulary, path: path)
    }

    /// Threads OpenBLAS uses for every model in the process (its default: one per core, or
    /// `OPENBLAS_NUM_THREADS`); the small-batch kernel splits its work into as many parts. Set
    /// by whoever runs the models: the server from `batching.workers`, `bench-lstm` from
    /// `--threads`.
    package static var blasThreads: Int {
        get { BLAS.threads }
        set { BLAS.setThreads(newValue) }
    }

    // MARK: LanguageModel

    /// Scores `words` in the PyTorch convention.
    ///
    /// With `sentenceContext` the input is `</s> w1 … wn` and the targets `w1 … wn </s>` (n + 1
    /// scores). Without it the first word is still predicted from the start state (an LSTM has
    /// no context-free distribution; the start state is its empty context) but no `</s>` is
    /// scored: inputs `</s> w1 … wn-1`, targets `w1 … wn` (n scores).
    package func score(sentence words: [Substring], sentenceContext: Bool) -> [TokenScore] {
        if words.isEmpty && !sentenceContext { return [] }
        let (ids, oov) = tokens(of: words, sentenceContext: sentenceContext)
        // Each target is predicted from the token before it.
        let inputs = [startToken] + ids.dropLast()
        let lns = logProbabilities(inputs: inputs, targets: ids)
        let toLog10 = LogBase.inverseLn10Float
        return (0..<ids.count).map { TokenScore(id: ids[$0], log10Prob: lns[$0] * toLog10, ngramLength: 0, isOOV: oov[$0]) }
    }

    /// The zero state advanced by the start token (the same for both contexts; see `score`).
    package func initialState(sentenceContext: Bool) -> State { startState }

    /// Advances every state by its token: one matrix product per layer for the whole batch.
    /// Ids outside the vocabulary are read as `<unk>`.
    package func advance(_ states: inout [State], by tokens: [TokenID]) {
        precondition(states.count == tokens.count, "advance: \(states.count) states but \(tokens.count) tokens")
        let v = configuration.vocabularySize
        if tokens.allSatisfy({ Int($0) < v }) {
            Self.step(weights, &states, tokens: tokens)
        } else {
            Self.step(weights, &states, tokens: tokens.map { Int($0) < v ? $0 : vocabulary.unknown })
        }
    }

    package func nextTokenLogProbs(_ states: [State], into output: UnsafeMutableBufferPointer<Float>) {
        Self.decode(weights, states, into: output)
    }
}
