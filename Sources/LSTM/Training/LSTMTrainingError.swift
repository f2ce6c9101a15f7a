import Foundation

/// What went wrong while preparing, running or saving an LSTM training run.
package enum LSTMTrainingError: Error, CustomStringConvertible, Equatable {
    /// A training or validation file could not be read.
    case unreadableFile(path: String, reason: String)
    /// A file holds no non-blank line.
    case emptyFile(path: String)
    /// A size or hyperparameter is out of range (`name` is the flag, `reason` says why).
    case badSetting(name: String, reason: String)
    /// `--tie` needs the embedding size to equal the decoder input (hidden, or projection) size.
    case tieSizeMismatch(embedding: Int, decoderInput: Int)
    /// The output model (or its sidecar) could not be written.
    case unwritableOutput(path: String, reason: String)
    /// Training diverged (a loss or gradient became NaN or infinite).
    case diverged(step: Int)

    package var description: String {
        switch self {
        case .unreadableFile(let path, let reason): return "cannot read \(path): \(reason)"
        case .emptyFile(let path): return "\(path) holds no non-blank line"
        case .badSetting(let name, let reason): return "bad --\(name): \(reason)"
        case .tieSizeMismatch(let e, let d):
            return "--tie needs the embedding size (\(e)) to equal the decoder input size (hidden or projection, \(d))"
        case .unwritableOutput(let path, let reason): return "cannot write \(path): \(reason)"
        case .diverged(let step): return "training diverged at step \(step) (NaN or infinite loss); try a lower --lr or --clip"
        }
    }
}
