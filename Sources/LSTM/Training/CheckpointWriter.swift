import Foundation
import LMCore

/// Writes training's checkpoints: the network's tensors (F32) and `__metadata__` through
/// `SafetensorsWriter`, and the vocabulary sidecar, each atomically (`FileOutput`).
package enum CheckpointWriter {
    /// One tensor to write: its name, row-major shape and `shape.product` floats.
    package struct Tensor {
        package var name: String
        package var shape: [Int]
        package var values: UnsafeBufferPointer<Float>

        package init(name: String, shape: [Int], values: UnsafeBufferPointer<Float>) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// The complete file contents for `tensors` and `metadata` (deterministic: sorted keys).
    /// - Precondition: each tensor's value count equals the product of its shape; names are unique.
    package static func encode(tensors: [Tensor], metadata: [String: String]) -> Data {
        SafetensorsWriter(
            tensors: tensors.map { SafetensorsWriter.Tensor(name: $0.name, shape: $0.shape, values: Array($0.values)) },
            metadata: metadata
        ).encoded()
    }

    /// Encodes and writes a safetensors file atomically.
    /// - Throws: `LSTMTrainingError.unwritableOutput` naming `path`.
    package static func write(tensors: [Tensor], metadata: [String: String], to path: String) throws {
        try writeAtomically(encode(tensors: tensors, metadata: metadata), to: path)
    }

    /// Writes the vocabulary sidecar: one token a line, line number − 1 = id.
    /// - Throws: `LSTMTrainingError.unwritableOutput`.
    package static func writeVocabulary(_ words: [String], to path: String) throws {
        try writeAtomically(Data(words.map { $0 + "\n" }.joined().utf8), to: path)
    }

    /// The sidecar path for a model path: `MODEL.safetensors` → `MODEL.vocab.txt` (as the
    /// reference model's `kjv-lstm-2x512.vocab.txt`).
    package static func vocabularyPath(forModel path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let base = url.pathExtension == "safetensors" ? url.deletingPathExtension().path : url.path
        return base + ".vocab.txt"
    }

    /// Writes `data` to a temporary file beside `path`, then renames it over `path`.
    /// - Throws: `LSTMTrainingError.unwritableOutput`.
    package static func writeAtomically(_ data: Data, to path: String) throws {
        do throws(FileOutput.Failure) {
            try FileOutput.writeFile(data, to: path)
        } catch {
            throw LSTMTrainingError.unwritableOutput(path: path, reason: error.reason)
        }
    }

    /// A JSON string literal for `s` (quotes, backslashes and control characters escaped), by
    /// `JSONEncoder`.
    package static func jsonString(_ s: String) -> String {
        // Encoding a String cannot fail.
        String(decoding: try! JSONEncoder().encode(s), as: UTF8.self)
    }
}
