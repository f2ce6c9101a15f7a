/// Turns a training network into the tensors and `__metadata__` of a PyTorch-style checkpoint.
enum TrainingCheckpoint {
    /// The configuration keys of `reference/pytorch/*.config.json`, plus `vocab` (a JSON list).
    static func metadata(architecture a: LSTMArchitecture, vocabulary: [String], minCount: Int) -> [String: String] {
        [
            "model_type": "lstm_lm",
            "format": "pt",
            "batch_first": "true",
            "emb_size": String(a.embeddingSize),
            "hidden_size": String(a.hiddenSize),
            "num_layers": String(a.layers),
            "proj_size": String(a.projectionSize),
            "tie_weights": a.tied ? "true" : "false",
            "vocab_size": String(a.vocabularySize),
            "bos_id": "0", "eos_id": "0", "unk_id": "1",
            "bos": "</s>", "eos": "</s>", "unk": "<unk>",
            "gate_order": "i,f,g,o",
            "min_count": String(minCount),
            "tokenization":
                "whitespace split; one sentence per line; input </s> w1..wn, target w1..wn </s>; zero state per line",
            "vocab": "[" + vocabulary.map(CheckpointWriter.jsonString).joined(separator: ",") + "]",
            "trainer": "lmserve train lstm",
        ]
    }

    /// Writes every tensor of `network` under its `state_dict` name (a tied decoder weight as a
    /// second copy of the embedding).
    static func write(_ network: TrainingNetwork, metadata: [String: String], to path: String) throws {
        let tensors = network.layout.tensors.map { slot in
            CheckpointWriter.Tensor(
                name: slot.name, shape: slot.shape,
                values: UnsafeBufferPointer(start: network.parameters + slot.offset, count: slot.count))
        }
        try CheckpointWriter.write(tensors: tensors, metadata: metadata, to: path)
    }
}
