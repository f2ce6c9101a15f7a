import ArgumentParser
import Foundation
import LMCore
import Logging
import NGram
import Server

/// `lmserve ppl`: score text line by line and print what KenLM's `query` prints.
struct PplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppl",
        abstract: "Score text (one sentence a line) and print KenLM query-style perplexity output.",
        discussion: """
            Per word: word=id ngram_length log10prob; per line: Total: T OOV: n; then the \
            perplexity summary with KenLM's formulas. Unlike KenLM, a last line without a \
            newline is scored in full. LSTM models (.safetensors) print the same, with \
            ngram_length 0 and log10 probabilities from the model's natural-log softmax. An \
            ensemble prints its mixture's scores (README, "Ensembles"), ngram_length 0.
            """)

    @Option(
        name: .long,
        help: "Model file: ARPA (plain or gzip), .lmb from `lmserve convert`, a KenLM binary or an LSTM .safetensors; or an ensemble of files, ensemble:FILE*0.4+FILE*0.6 (weights summing to 1).")
    var model: String

    @Option(
        name: .long,
        help: "How lines become words: whitespace (KenLM's rule), basic (the KJV corpus rule) or sentencepiece:FILE.model (a SentencePiece model's pieces).")
    var tokenizer = "whitespace"

    /// A tokenizer name that does not exist is a mistyped flag (usage); a SentencePiece file
    /// that cannot be read is found in `run` (one line, no usage).
    func validate() throws {
        if !tokenizer.hasPrefix("sentencepiece:") {
            do { _ = try TokenizerSpec.load(tokenizer) } catch { throw ValidationError("\(error)") }
        }
    }

    @Flag(name: .long, help: "Do not start lines in the <s> context nor score </s> (KenLM's query -n).")
    var noSentenceContext = false

    @Option(
        name: .long, help: "What to print: word, sentence or summary.",
        transform: oneOf("verbosity"))
    var verbose: QueryVerbosity = .word

    @Flag(name: .long, help: "Print the summary as JSON (KenLM and SRILM perplexities, totals).")
    var json = false

    @Option(name: .long, help: "Read text from this file instead of standard input.")
    var input: String?

    func run() throws {
        let logger = Logger(label: "lmserve.ppl")
        let tokenizer: Tokenizer
        do { tokenizer = try TokenizerSpec.load(self.tokenizer) } catch { CommandOutput.fail("\(error)") }
        if !model.hasPrefix(CommandModels.ensemblePrefix) {
            do { _ = try ModelFormatRegistry.standard.format(of: model) } catch { CommandOutput.fail("\(error)") }
        }
        let text: InputText
        do { text = try InputText(path: input) } catch { CommandOutput.fail("\(error)") }
        let lm: any LanguageModel
        do { lm = try CommandModels.load(model, logger: logger) } catch { CommandOutput.fail("\(error)") }

        // --json prints only the JSON summary, so standard output parses as one JSON document.
        var report = QueryReport(verbosity: json ? .summary : verbose, sentenceContext: !noSentenceContext)
        let drain: (inout QueryReport) -> Void = { CommandOutput.write($0.takeOutput()) }
        text.withBytes { bytes in lm.query(text: bytes, tokenizer: tokenizer, report: &report, drain: drain) }
        if json {
            drain(&report)
            CommandOutput.write(Array((report.jsonSummary + "\n").utf8))
        } else {
            report.finish()
            drain(&report)
        }
    }
}

/// The text to score: a mapped file, or all of standard input.
struct InputText {
    private let mapped: MappedFile?
    private let data: Data?

    init(path: String?) throws {
        if let path {
            mapped = try MappedFile(path: path)
            data = nil
        } else {
            mapped = nil
            data = FileHandle.standardInput.readDataToEndOfFile()
        }
    }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let mapped { return body(mapped.bytes) }
        return data!.withUnsafeBytes(body)
    }
}

/// Writes command output and reports failures the way every subcommand should.
enum CommandOutput {
    static func write(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        FileHandle.standardOutput.write(Data(bytes))
    }

    /// Prints `lmserve: message` on standard error and exits with status 1.
    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("lmserve: \(message)\n".utf8))
        Foundation.exit(1)
    }
}

/// Parses an option into one of `T`'s cases by raw value; the error names the accepted values
/// ("unknown verbosity 'x' (word, sentence or summary)").
func oneOf<T: RawRepresentable & CaseIterable>(_ what: String) -> @Sendable (String) throws -> T where T.RawValue == String {
    { value in
        if let v = T(rawValue: value) { return v }
        let names = T.allCases.map(\.rawValue)
        let list = names.count > 1 ? names.dropLast().joined(separator: ", ") + " or " + names.last! : names.joined()
        throw ValidationError("unknown \(what) '\(value)' (\(list))")
    }
}
