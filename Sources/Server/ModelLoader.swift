import Batching
import Foundation
import LMCore
import Logging

/// Loads a configured model through the format registry and puts a scheduler in front of it.
enum ModelLoader {
    /// - Throws: `ModelLoadError` naming the file, wrapping the format's own error.
    static func load(
        name: String, path: String, tokenizer: Tokenizer?, configuration: ServerConfiguration, hooks: SchedulerHooksFactory,
        formats: ModelFormatRegistry = .standard, logger: Logger
    ) throws -> ServedModel {
        let start = ContinuousClock.now
        let settings = configuration.model(named: name)
        let model = try formats.load(path: path, logger: logger).using(threads: configuration.batching.workerCount)
        return ServedModel(
            name: name, model: model, tokenizer: tokenizer ?? .whitespace, defaults: settings.defaults,
            batching: configuration.batching(for: settings, describedAs: model.description), hooks: hooks(name),
            loadSeconds: (ContinuousClock.now - start).seconds, logger: logger)
    }
}

/// Makes each model's scheduler hooks (wired to metrics by the server).
typealias SchedulerHooksFactory = (String) -> SchedulerHooks

extension ServerConfiguration {
    func model(named name: String) -> Model {
        models.first { $0.name == name } ?? Model(name: name, path: "")
    }
}
