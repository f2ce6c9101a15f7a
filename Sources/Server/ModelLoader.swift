import Batching
import Ensemble
import Foundation
import LMCore
import Logging

/// Loads a model through the format registry and puts a scheduler of its own in front of it.
enum ModelLoader {
    /// Hashes the file (its `ModelVersion`), then loads it. Blocking: run it off the event loops.
    ///
    /// - Throws: `ModelLoadError` naming the file: it cannot be read, or the format's own error.
    static func load(
        _ spec: ServerConfiguration.Model, configuration: ServerConfiguration, hooks: SchedulerHooksFactory,
        formats: ModelFormatRegistry = .standard, logger: Logger
    ) throws -> ServedModel {
        let start = ContinuousClock.now
        let version: ModelVersion
        do { version = try ModelVersion(file: spec.path) } catch let e as ModelFileError {
            throw ModelLoadError(path: e.path, message: e.reason)
        }
        let model = try formats.load(path: spec.path, logger: logger).using(threads: configuration.batching.workerCount)
        return ServedModel(
            spec: spec, version: version, model: model, tokenizer: spec.tokenizer ?? .whitespace,
            batching: configuration.batching(for: spec, describedAs: model.description), hooks: hooks(spec.name),
            loadSeconds: (ContinuousClock.now - start).seconds, logger: logger)
    }
}

extension ModelLoader {
    /// Builds an ensemble from its members' serving versions and serves it: the one place
    /// ensembles are made, so one is rebuilt whenever a member is (re)loaded. Its version is the
    /// hash of its members' versions and weights.
    ///
    /// - Parameter members: each configured member's serving version, in order.
    /// - Throws: `ModelLoadError` when the weights are not valid.
    static func loadEnsemble(
        _ spec: ServerConfiguration.Model, members: [(member: ServerConfiguration.Member, served: ServedModel)],
        tokenizer: Tokenizer?, configuration: ServerConfiguration, hooks: SchedulerHooksFactory, logger: Logger
    ) throws -> ServedModel {
        let start = ContinuousClock.now
        let terms = members.map { "\($0.member.name)*\($0.member.weight)" }.joined(separator: "+")
        let model: EnsembleModel
        do {
            model = try EnsembleModel(
                members: members.map { EnsembleModel.Member(name: $0.member.name, model: $0.served.model, weight: $0.member.weight) },
                path: terms)
        } catch {
            throw ModelLoadError(path: terms, message: "ensemble '\(spec.name)': \(error)")
        }
        let version = ModelVersion(
            sha256: ModelVersion.sha256(of: members.map { "\($0.member.name)*\($0.member.weight)@\($0.served.version.id)" }.joined(separator: "+")),
            modified: members.map(\.served.version.modified).max() ?? 0, size: 0)
        return ServedModel(
            spec: spec, version: version, model: model, tokenizer: tokenizer ?? .whitespace,
            batching: configuration.batching(for: spec, describedAs: model.description), hooks: hooks(spec.name),
            loadSeconds: (ContinuousClock.now - start).seconds, logger: logger)
    }
}

/// Makes each model's scheduler hooks (wired to metrics by the server).
typealias SchedulerHooksFactory = (String) -> SchedulerHooks
