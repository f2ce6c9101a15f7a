import Ensemble
import Foundation
import LMCore
import Logging
import Server

/// Models named on a subcommand's command line: a model file, or `ensemble:FILE*W+FILE*W`.
enum CommandModels {
    static let ensemblePrefix = "ensemble:"

    /// Loads the file (in the format that recognises it), or the ensemble of the files named.
    ///
    /// - Throws: `ModelLoadError` naming the file, or a message for a bad ensemble.
    static func load(_ spec: String, logger: Logger) throws -> any LanguageModel {
        guard spec.hasPrefix(ensemblePrefix) else { return try ModelFormatRegistry.standard.load(path: spec, logger: logger) }
        let text = String(spec.dropFirst(ensemblePrefix.count))
        let members: [ServerConfiguration.Member]
        do { members = try ServerConfiguration.Member.parseList(text) } catch let problem as SettingProblem {
            throw CommandModelError(message: "--model \(spec): \(problem.message)")
        }
        if let problem = Mixture.problem(weights: members.map(\.weight)) {
            throw CommandModelError(message: "--model \(spec): \(problem)")
        }
        let loaded = try members.map {
            EnsembleModel.Member(name: $0.name, model: try ModelFormatRegistry.standard.load(path: $0.name, logger: logger), weight: $0.weight)
        }
        return try EnsembleModel(members: loaded, path: text)
    }
}

struct CommandModelError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
