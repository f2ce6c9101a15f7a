/// What a loaded model says about itself: the `/v1/models` entry, the model-info metric and the
/// server's scheduling read this, so no caller switches on the kind of model.
package struct ModelDescription: Sendable, Equatable {
    /// The model family, e.g. `ngram` or `lstm` (`type` in `/v1/models`, a metric label).
    package var type: String
    /// The on-disk format's name, the `ModelFormat.name` that loaded it (e.g. `arpa`, `lmb`).
    package var format: String
    /// The file the model was loaded from.
    package var path: String
    package var vocabularySize: Int
    /// Shape parameters, each reported as its own field of the `/v1/models` entry: `order` for
    /// N-gram models, `layers`, `hidden_size`, `embedding_size` for LSTMs.
    package var parameters: [ModelParameter]
    /// Whether `TokenScore.ngramLength` means something, so per-token results carry
    /// `ngram_length` (KenLM's); models without n-grams leave it out.
    package var reportsNGramLength: Bool
    /// Whether sentences are best scored whole by `score(sentence:sentenceContext:)`, spread over
    /// worker threads (cheap per token, as N-gram lookups are), rather than token by token in
    /// the batched steps that generation uses (as an LSTM's matrix products want).
    package var prefersWholeSentenceScoring: Bool
    /// The models a mixture interpolates, in order, with their weights (an ensemble's members);
    /// empty for every other model. `ChunkScores.members` follows this order.
    package var members: [ModelMember]
    /// What computes the model's arithmetic, where that depends on the machine, e.g.
    /// `blas=openblas core=Cooperlake kernels=avx512` for an LSTM (`compute` in `/v1/models`).
    package var compute: String?

    package init(
        type: String, format: String, path: String, vocabularySize: Int, parameters: [ModelParameter] = [],
        reportsNGramLength: Bool = false, prefersWholeSentenceScoring: Bool = false, members: [ModelMember] = [],
        compute: String? = nil
    ) {
        self.type = type
        self.format = format
        self.path = path
        self.vocabularySize = vocabularySize
        self.parameters = parameters
        self.reportsNGramLength = reportsNGramLength
        self.prefersWholeSentenceScoring = prefersWholeSentenceScoring
        self.members = members
        self.compute = compute
    }

    /// The value of the parameter called `name`, if the model has one.
    package func parameter(_ name: String) -> Int? {
        parameters.first { $0.name == name }?.value
    }
}

/// One named shape parameter of a model, e.g. `order: 5`. Names are snake_case, as the API's.
package struct ModelParameter: Sendable, Equatable {
    package var name: String
    package var value: Int

    package init(_ name: String, _ value: Int) {
        self.name = name
        self.value = value
    }
}

/// One member of a mixture: the name it is served under and its interpolation weight.
package struct ModelMember: Sendable, Equatable {
    package var name: String
    package var weight: Double

    package init(name: String, weight: Double) {
        self.name = name
        self.weight = weight
    }
}
