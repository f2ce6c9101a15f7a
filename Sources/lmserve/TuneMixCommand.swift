import ArgumentParser
import Ensemble
import Foundation
import LMCore
import Logging
import Server

/// `lmserve tune-mix`: the interpolation weights that minimise a held-out text's perplexity.
struct TuneMixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune-mix",
        abstract: "Find ensemble weights that minimise a held-out text's perplexity (EM on per-token probabilities).",
        discussion: """
            Scores every line of --text with each model (one sentence a line, as ppl), then runs \
            expectation-maximisation on the per-token probabilities under the ensemble's rule \
            (README, "Ensembles"): a member lacking a word another member has gives it 0; a word \
            no member has gets each member's <unk> probability. Prints the weights, the \
            mixture's perplexity with them and each model's own (KenLM's formula, OOVs \
            included). --yaml writes a config file serving the models and the ensemble.
            """)

    @Option(
        name: .customLong("model"),
        help: "A member, PATH or NAME=PATH (NAME defaults to the file name without extensions); two or more.")
    var models: [String] = []

    @Option(name: .long, help: "Held-out text, one sentence a line (e.g. valid.txt).")
    var text: String

    @Option(
        name: .long, help: "How lines become words: whitespace, basic or sentencepiece:FILE.model (one for every member).",
        transform: { value in
            do { return try TokenizerSpec.load(value) } catch { throw ValidationError("\(error)") }
        })
    var tokenizer: Tokenizer = .whitespace

    @Flag(name: .long, help: "Do not start lines in the <s> context nor score </s> (as ppl's).")
    var noSentenceContext = false

    @Option(name: .long, help: "The ensemble's name in the YAML written by --yaml.")
    var name = "mix"

    @Option(name: .long, help: "Write a config file (models: the members and the tuned ensemble) to this path.")
    var yaml: String?

    @Option(name: .long, help: "Stop when no weight moves more than this in an EM step.")
    var tolerance = 1e-7

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        if models.count < 2 { throw ValidationError("give two or more --model") }
        let names = try models.map { try Self.member($0).name }
        if Set(names).count != names.count { throw ValidationError("two members are named alike (\(names.joined(separator: ", "))): give NAME=PATH") }
        if !(tolerance > 0) { throw ValidationError("--tolerance must be positive") }
    }

    /// `NAME=PATH`, or `PATH` named by its file name without extensions.
    static func member(_ spec: String) throws -> (name: String, path: String) {
        if let eq = spec.firstIndex(of: "="), !spec[..<eq].contains("/") {
            let name = String(spec[..<eq]), path = String(spec[spec.index(after: eq)...])
            guard !name.isEmpty, !path.isEmpty else { throw ValidationError("--model takes PATH or NAME=PATH (got '\(spec)')") }
            return (name, path)
        }
        let file = URL(fileURLWithPath: spec).lastPathComponent
        return (String(file.prefix { $0 != "." }), spec)
    }

    func run() throws {
        let logger = Logger(label: "lmserve.tune-mix")
        let members = try models.map { try Self.member($0) }
        let loaded: [any LanguageModel]
        do { loaded = try members.map { try ModelFormatRegistry.standard.load(path: $0.path, logger: logger) } } catch {
            CommandOutput.fail("\(error)")
        }
        let input: InputText
        do { input = try InputText(path: text) } catch { CommandOutput.fail("\(error)") }
        let sentenceContext = !noSentenceContext
        var tuning = MixtureTuning(memberCount: loaded.count)
        input.withBytes { bytes in
            for line in QueryReport.lines(Substring(String(decoding: bytes, as: UTF8.self))) {
                let words = tokenizer.tokenize(line)
                tuning.add(loaded.map { $0.score(sentence: words, sentenceContext: sentenceContext) })
            }
        }
        guard tuning.tokens > 0 else { CommandOutput.fail("\(text): nothing to score") }
        var result = tuning.tune(tolerance: tolerance)
        // What is printed is what gets served: the perplexity is the rounded weights'.
        result.weights = Self.rounded(result.weights)
        let mixture = tuning.perplexity(result.weights)
        let own = members.indices.map { tuning.memberPerplexity($0) }
        let spec = zip(members, result.weights).map { "\($0.name)*\(Self.decimal($1))" }.joined(separator: "+")

        if json {
            let object: [String: Any] = [
                "weights": Dictionary(uniqueKeysWithValues: zip(members.map(\.name), result.weights)),
                "perplexity": mixture, "members": Dictionary(uniqueKeysWithValues: zip(members.map(\.name), own)),
                "tokens": tuning.tokens, "iterations": result.iterations, "model_flag": "\(name)=ensemble:\(spec)",
            ]
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            CommandOutput.write(Array(data) + [0x0A])
        } else {
            var out = "EM: \(result.iterations) iterations over \(tuning.tokens) tokens of \(text)\n"
            for (m, member) in members.enumerated() {
                out += "weight \(member.name)\t\(Self.decimal(result.weights[m]))\tperplexity alone \(own[m])\n"
            }
            out += "mixture perplexity\t\(mixture)\n"
            out += "serve with: --model \(name)=ensemble:\(spec)\n"
            CommandOutput.write(Array(out.utf8))
        }
        if let yaml {
            do { try configText(members: members, weights: result.weights).write(toFile: yaml, atomically: true, encoding: .utf8) } catch {
                CommandOutput.fail("cannot write \(yaml): \(error.localizedDescription)")
            }
        }
    }

    static func decimal(_ w: Double) -> String { String(format: "%.6f", w) }

    /// The weights rounded to 6 decimals, the last one set so that they sum to 1 as printed.
    static func rounded(_ weights: [Double]) -> [Double] {
        var r = weights.map { ($0 * 1e6).rounded() / 1e6 }
        r[r.count - 1] = max(0, ((1 - r.dropLast().reduce(0, +)) * 1e6).rounded() / 1e6)
        return r
    }

    /// The `models:` list serving each member and the ensemble.
    private func configText(members: [(name: String, path: String)], weights: [Double]) -> String {
        let absolute = members.map { URL(fileURLWithPath: $0.path).standardizedFileURL.path }
        var lines = ["# Written by lmserve tune-mix on \(text) (\(Date()))", "models:"]
        for (m, member) in members.enumerated() {
            lines.append("  - name: \(member.name)")
            lines.append("    path: \(absolute[m])")
            if tokenizer != .whitespace { lines.append("    tokenizer: \(tokenizer.description)") }
        }
        lines.append("  - name: \(name)")
        lines.append("    type: ensemble")
        lines.append("    members:")
        for (member, w) in zip(members, weights) { lines.append("      - {model: \(member.name), weight: \(Self.decimal(w))}") }
        return lines.joined(separator: "\n") + "\n"
    }
}
