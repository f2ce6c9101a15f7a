import Batching
import Ensemble
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
        let model = try formats.load(path: path, logger: logger).using(threads: configuration.batching.workerCount)
        return serve(model, name: name, tokenizer: tokenizer, configuration: configuration, hooks: hooks, start: start, logger: logger)
    }

    /// Builds the ensemble `name` from its members' loaded models and serves it: the one place
    /// ensembles are made, so one can be rebuilt whenever a member is (re)loaded.
    ///
    /// - Parameter members: each configured member's loaded model (`ServedModel.model`), in order.
    /// - Throws: `ModelLoadError` when the weights are not valid.
    static func loadEnsemble(
        name: String, members: [(member: ServerConfiguration.Member, model: any LanguageModel)], tokenizer: Tokenizer?,
        configuration: ServerConfiguration, hooks: SchedulerHooksFactory, logger: Logger
    ) throws -> ServedModel {
        let start = ContinuousClock.now
        let spec = members.map { "\($0.member.name)*\($0.member.weight)" }.joined(separator: "+")
        let model: EnsembleModel
        do {
            model = try EnsembleModel(
                members: members.map { EnsembleModel.Member(name: $0.member.name, model: $0.model, weight: $0.member.weight) },
                path: spec)
        } catch {
            throw ModelLoadError(path: spec, message: "ensemble '\(name)': \(error)")
        }
        return serve(model, name: name, tokenizer: tokenizer, configuration: configuration, hooks: hooks, start: start, logger: logger)
    }

    private static func serve(
        _ model: some LanguageModel, name: String, tokenizer: Tokenizer?, configuration: ServerConfiguration,
        hooks: SchedulerHooksFactory, start: ContinuousClock.Instant, logger: Logger
    ) -> ServedModel {
        let settings = configuration.model(named: name)
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
