import Foundation
import LMCore
import LSTM
import Batching
import Logging
import NGram

/// Loads a model file, picking the engine from the file itself.
///
/// `.safetensors` (or a file that starts like one) is an LSTM; everything else is handed to the
/// N-gram loader, which tells ARPA (plain or gzip) from the `.lmb` binary format by content.
package enum ModelLoader {
    package enum FileKind { case ngram, lstm }

    /// Which engine reads `path`.
    ///
    /// - Throws: `ModelLoadError` when the file cannot be opened.
    package static func kind(of path: String) throws -> FileKind {
        if path.hasSuffix(".safetensors") { return .lstm }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ModelLoadError(path: path, message: "cannot open the file (missing or unreadable)")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 9)) ?? Data()
        // safetensors: 8-byte little-endian header length, then the JSON header's '{'.
        if head.count == 9, head[head.startIndex + 8] == UInt8(ascii: "{") { return .lstm }
        return .ngram
    }

    /// - Throws: `ModelLoadError` naming the file, wrapping the engine's own error.
    static func load(
        name: String, path: String, tokenizer: Tokenizer?, configuration: ServerConfiguration, hooks: SchedulerHooksFactory,
        logger: Logger
    ) throws -> ServedModel {
        let start = ContinuousClock.now
        let settings = configuration.model(named: name)
        func serve<M: LanguageModel>(_ model: M) -> ServedModel {
            ServedModel(
                name: name, model: model, tokenizer: tokenizer ?? .whitespace, defaults: settings.defaults,
                batching: configuration.batching(for: settings, kind: model.description.kind), hooks: hooks(name),
                loadSeconds: (ContinuousClock.now - start).seconds, logger: logger)
        }
        do {
            switch try kind(of: path) {
            case .ngram: return serve(try NGramModel.load(path: path, logger: logger))
            case .lstm: return serve(try LSTMModel.load(path: path, logger: logger))
            }
        } catch let error as ModelLoadError {
            throw error
        } catch {
            throw ModelLoadError(path: path, message: String(describing: error))
        }
    }
}

/// Makes each model's scheduler hooks (wired to metrics by the server).
typealias SchedulerHooksFactory = (String) -> SchedulerHooks

/// A model that could not be loaded.
package struct ModelLoadError: Error, CustomStringConvertible {
    package var path: String
    package var message: String
    package var description: String { "cannot load model \(path): \(message)" }
}

extension ServerConfiguration {
    func model(named name: String) -> Model {
        models.first { $0.name == name } ?? Model(name: name, path: "")
    }
}
