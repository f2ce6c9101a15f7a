import ArgumentParser
import Foundation
import HTTP
import LMCore
import Logging
import Server

/// `lmserve serve`: parses flags into a `ServerConfiguration` and runs `LMServer`.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve models over HTTP: perplexity, completions, models, health, metrics, a web console at /.",
        discussion: """
            Models come from a YAML config file (--config) and/or --model flags. Every server-wide \
            config key has a flag, and flags win over the file; a model's own `batching` and \
            `defaults` in the file still apply to that model. SIGTERM or SIGINT drains in-flight \
            requests, then exits 0. SIGHUP reads the config file again (with the same flags) and \
            applies the difference: models added, removed or changed are loaded, unloaded or \
            reloaded, and the request limits change; an invalid file is logged and changes nothing.

            SETTINGS (flag, config key, default):

            """ + SettingFlags.help(ServerConfiguration.settings, defaults: ServerConfiguration()))

    @Option(help: "YAML configuration file (see README).")
    var config: String?

    @Option(name: .customLong("model"), help: "A model to serve, NAME=PATH or NAME=PATH,tokenizer=T with T whitespace, basic or sentencepiece:FILE.model; or an ensemble of other models, NAME=ensemble:A*0.4+B*0.6 (repeatable).")
    var models: [String] = []

    /// Every server-wide setting's flag (`ServerConfiguration.settings`), parsed by `SettingFlags`
    /// and listed in the help's discussion.
    @Argument(parsing: .allUnrecognized, help: .hidden)
    var settings: [String] = []

    /// Rejects unknown or malformed setting flags before anything runs, with the command's usage.
    func validate() throws {
        var scratch = ServerConfiguration()
        do { try SettingFlags.apply(settings, to: &scratch) } catch { throw ValidationError("\(error)") }
    }

    func run() async throws {
        let settings = try makeConfiguration()
        var logger = Logger(label: "lmserve")
        logger.logLevel = Logger.Level(rawValue: settings.logLevel) ?? .info
        let server: LMServer
        do { server = try LMServer(configuration: settings, logger: logger) } catch {
            throw Self.runtimeFailure(error)
        }
        let log = logger
        // One handler for the process's signals (they share one self-pipe).
        let (file, modelFlags, settingFlags) = (config, models, self.settings)
        let signals = SignalHandling(signals: [SIGTERM, SIGINT, SIGHUP]) { signal in
            guard signal == SIGHUP else {
                // A second signal while draining changes nothing; shutdown is idempotent.
                log.info("shutting down: draining in-flight requests")
                Task { await server.shutdown() }
                return
            }
            // SIGHUP: the config file again, with the same flags, applied live.
            guard let file else { return log.warning("SIGHUP: no --config file to read again; nothing changed") }
            do {
                let change = try server.apply(try Self.reconfiguration(file: file, models: modelFlags, settings: settingFlags))
                log.notice("SIGHUP: configuration applied", metadata: ["change": "\(change)"])
            } catch {
                log.error("SIGHUP: configuration not applied; nothing changed", metadata: ["error": "\(error)"])
            }
        }
        do {
            let port = try await server.start()
            logger.info("ready", metadata: ["port": "\(port)", "models": "\(settings.models.map(\.name).joined(separator: ","))"])
        } catch {
            throw Self.runtimeFailure(error)
        }
        await server.waitUntilStopped()
        await server.shutdown()  // waits for the drain and the last log rows
        withExtendedLifetime(signals) {}
        logger.info("stopped")
    }

    /// A failure while starting (the request log, a model, the listening socket): the message on
    /// standard error and exit status 1, without the usage text that is for mistyped flags.
    static func runtimeFailure(_ error: any Error) -> ExitCode {
        FileHandle.standardError.write(Data("lmserve: \(error)\n".utf8))
        return ExitCode(1)
    }

    func makeConfiguration() throws -> ServerConfiguration {
        var c: ServerConfiguration
        if let config {
            do { c = try ServerConfiguration.load(file: config) } catch { throw Self.runtimeFailure(error) }
            if c.database == nil { c.database = c.resolve("lmserve.db") }
        } else {
            c = ServerConfiguration()
            c.database = "lmserve.db"
        }
        for spec in models { c.models.append(try Self.parseModel(spec)) }
        do { try SettingFlags.apply(settings, to: &c) } catch { throw ValidationError("\(error)") }
        let problems = c.validate()
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
        return c
    }

    /// The configuration SIGHUP applies: the file read again, then the same flags as at start.
    ///
    /// - Throws: `ConfigurationError` or the flags' problem, naming what is wrong.
    static func reconfiguration(file: String, models: [String], settings: [String]) throws -> ServerConfiguration {
        var c = try ServerConfiguration.load(file: file)
        if c.database == nil { c.database = c.resolve("lmserve.db") }
        for spec in models { c.models.append(try parseModel(spec)) }
        try SettingFlags.apply(settings, to: &c)
        return c
    }

    /// What `--model NAME=ensemble:A*0.4+B*0.6` starts its members with.
    static let ensemblePrefix = "ensemble:"

    /// `NAME=PATH` or `NAME=PATH,tokenizer=T` (`whitespace`, `basic`, `sentencepiece:FILE.model`),
    /// or an ensemble of other `--model`s, `NAME=ensemble:A*0.4+B*0.6` (`,tokenizer=T` too).
    static func parseModel(_ spec: String) throws -> ServerConfiguration.Model {
        guard let eq = spec.firstIndex(of: "=") else {
            throw ValidationError("--model takes NAME=PATH (got '\(spec)')")
        }
        let name = String(spec[..<eq])
        var path = String(spec[spec.index(after: eq)...])
        var tokenizer: Tokenizer?
        if let comma = path.range(of: ",tokenizer=") {
            let value = String(path[comma.upperBound...])
            do { tokenizer = try TokenizerSpec.load(value) } catch {
                throw ValidationError("--model \(name): \(error)")
            }
            path = String(path[..<comma.lowerBound])
        }
        guard !name.isEmpty, !path.isEmpty else { throw ValidationError("--model takes NAME=PATH (got '\(spec)')") }
        if path.hasPrefix(Self.ensemblePrefix) {
            do {
                let members = try ServerConfiguration.Member.parseList(String(path.dropFirst(Self.ensemblePrefix.count)))
                return ServerConfiguration.Model(name: name, members: members, tokenizer: tokenizer)
            } catch let problem as SettingProblem {
                throw ValidationError("--model \(name): \(problem.message)")
            }
        }
        return ServerConfiguration.Model(name: name, path: path, tokenizer: tokenizer)
    }
}
