import ArgumentParser
import Foundation
import LMServeTools

/// `lmserve bench`: a closed-loop load generator against a running server.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Load-test a running server: requests/s, tokens/s, latency percentiles, batch sizes.",
        discussion: """
            Closed loop: each of --concurrency clients keeps one keep-alive connection and sends its \
            next request when the last is answered. Texts come from --prompts (one per line) or a \
            built-in set of 36 sentences. Target 127.0.0.1 only.
            """)

    @Option(help: "Server URL, http://HOST:PORT.") var url = "http://127.0.0.1:8080"
    @Option(help: "perplexity or completions.") var route: String = "perplexity"
    @Option(help: "Model name.") var model: String
    @Option(help: "Concurrent clients.") var concurrency = 1
    @Option(help: "Seconds to run.") var duration = 10.0
    @Option(help: "max_tokens per completion.") var maxTokens = 32
    @Flag(help: "Stream completions (SSE) and report time to first token.") var stream = false
    @Option(help: "Sampling temperature for completions.") var temperature = 1.0
    @Option(help: "File of texts, one per line (default: 36 built-in sentences; for completions their first 5 words).")
    var prompts: String?
    @Flag(help: "Print the report as JSON.") var json = false
    @Option(help: "API key sent as Authorization: Bearer (default: $LMSERVE_API_KEY; none when unset).")
    var apiKey: String?

    func run() throws {
        guard let r = LoadGenerator.Route(rawValue: route) else { throw ValidationError("--route must be perplexity or completions") }
        guard let u = URL(string: url), u.scheme == "http", let host = u.host else {
            throw ValidationError("--url must look like http://127.0.0.1:8080")
        }
        guard concurrency >= 1, duration > 0 else { throw ValidationError("--concurrency and --duration must be positive") }
        var c = LoadGenerator.Configuration()
        c.host = host
        c.port = u.port ?? 80
        c.route = r
        c.model = model
        c.concurrency = concurrency
        c.durationSeconds = duration
        c.maxTokens = maxTokens
        c.stream = stream
        c.temperature = temperature
        c.apiKey = apiKey ?? ProcessInfo.processInfo.environment["LMSERVE_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        if let file = prompts {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                CommandOutput.fail("cannot read prompts from \(file)")
            }
            c.prompts = text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        } else {
            let lines = BenchPrompts.lines
            c.prompts = r == .completions ? lines.map { $0.split(separator: " ").prefix(5).joined(separator: " ") } : lines
        }
        let report: BenchReport
        do {
            report = try LoadGenerator(configuration: c).run { line in
                if !json { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            }
        } catch {
            CommandOutput.fail("cannot reach \(url): \(error)")
        }
        print(json ? report.json : report.text)
    }
}
