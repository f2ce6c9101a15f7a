import Foundation
import Histogram
import Synchronization

/// A closed-loop HTTP load generator for `lmserve bench`: `concurrency` clients, each on its
/// own keep-alive connection, send the next request as soon as the last one is answered.
package struct LoadGenerator {
    package enum Route: String, Sendable, CaseIterable {
        case perplexity, completions
    }

    package struct Configuration: Sendable {
        package var host = "127.0.0.1"
        package var port = 8080
        package var route = Route.perplexity
        package var model = ""
        package var concurrency = 1
        package var durationSeconds = 10.0
        package var maxTokens = 32
        package var stream = false
        /// Texts to send, used round-robin (verses for perplexity, prompts for completions).
        package var prompts: [String] = []
        package var temperature = 1.0
        /// Sent as `Authorization: Bearer` when the server has API keys on.
        package var apiKey: String?
        package init() {}

        /// `Authorization: Bearer KEY` when there is a key.
        var authorization: [(String, String)] { apiKey.map { [("Authorization", "Bearer " + $0)] } ?? [] }

        /// The headers of every request: JSON, and the key.
        var headers: [(String, String)] { [("Content-Type", "application/json")] + authorization }
    }

    let configuration: Configuration

    package init(configuration: Configuration) { self.configuration = configuration }

    /// What one client measured.
    struct WorkerResult: Sendable {
        var latency = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        var firstToken = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        var requests = 0
        var tokens = 0
        var statuses: [Int: Int] = [:]
        var failures = 0
        var lastError: String?
    }

    /// Runs the load; `progress` is called about once a second with a one-line summary.
    ///
    /// - Throws: when no connection to the server can be made at all.
    package func run(progress: @escaping @Sendable (String) -> Void) throws -> BenchReport {
        _ = try HTTPClient(host: configuration.host, port: configuration.port, receiveTimeoutSeconds: 5)
        let batchesBefore = scrapeBatchSizes()
        let start = Date()
        let deadline = start.addingTimeInterval(configuration.durationSeconds)
        let results = ResultBox(count: configuration.concurrency)
        let live = LiveCounter()
        let group = DispatchGroup()
        for worker in 0..<configuration.concurrency {
            let thread = Thread { [configuration] in
                results.set(worker, Self.work(worker, configuration, deadline: deadline, live: live))
                group.leave()
            }
            thread.stackSize = 1 << 20
            group.enter()
            thread.start()
        }
        while group.wait(timeout: .now() + 1) == .timedOut {
            let elapsed = Date().timeIntervalSince(start)
            let done = live.requests
            progress(String(format: "[%5.1fs] %d requests, %.0f req/s", elapsed, done, Double(done) / max(elapsed, 1e-9)))
        }
        let elapsed = Date().timeIntervalSince(start)
        let batchesAfter = scrapeBatchSizes()
        return BenchReport(configuration: configuration, workers: results.all, seconds: elapsed,
                           batches: batchesAfter.map { after in batchesBefore.map { after.minus($0) } ?? after })
    }

    static func work(_ worker: Int, _ c: Configuration, deadline: Date, live: LiveCounter) -> WorkerResult {
        var result = WorkerResult()
        var client: HTTPClient?
        var i = worker
        while Date() < deadline {
            let prompt = c.prompts.isEmpty ? "" : c.prompts[i % c.prompts.count]
            i += c.concurrency
            let body: [String: Any] =
                c.route == .perplexity
                ? ["model": c.model, "text": prompt]
                : ["model": c.model, "prompt": prompt, "max_tokens": c.maxTokens, "seed": i, "temperature": c.temperature,
                   "stream": c.stream]
            let json = (try? JSONSerialization.data(withJSONObject: body)).map { Array($0) } ?? []
            let sent = DispatchTime.now().uptimeNanoseconds
            do {
                if client == nil { client = try HTTPClient(host: c.host, port: c.port, receiveTimeoutSeconds: 120) }
                guard let connection = client else { continue }
                let path = "/v1/\(c.route.rawValue)"
                if c.stream && c.route == .completions {
                    try connection.send("POST", path, headers: c.headers, body: json)
                    let head = try connection.readHead()
                    result.statuses[head.status, default: 0] += 1
                    var first = true
                    while let chunk = try connection.readChunk() {
                        let text = String(decoding: chunk, as: UTF8.self)
                        // Events that carry text; the closing event of a choice carries none.
                        let events = text.components(separatedBy: "data: {").count - 1
                        let empty = text.components(separatedBy: Self.emptyText).count - 1
                        if events - empty > 0 && first {
                            _ = result.firstToken.record((DispatchTime.now().uptimeNanoseconds - sent) / 1000)
                            first = false
                        }
                        if head.status == 200 { result.tokens += events - empty }
                    }
                    if head.status != 200 { continue }
                } else {
                    let response = try connection.request("POST", path, headers: c.headers, body: json)
                    result.statuses[response.status, default: 0] += 1
                    // Only answered requests count towards throughput and latency.
                    guard response.status == 200 else { continue }
                    result.tokens += tokens(in: response.body, route: c.route)
                }
                _ = result.latency.record((DispatchTime.now().uptimeNanoseconds - sent) / 1000)
                result.requests += 1
                live.add()
            } catch {
                result.failures += 1
                result.lastError = "\(error)"
                client = nil
            }
        }
        return result
    }

    /// How a streamed chunk with no text looks.
    static let emptyText = "\"text\":\"\""

    /// Scored tokens (perplexity) or completion tokens (completions) of a response.
    static func tokens(in body: [UInt8], route: Route) -> Int {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return 0 }
        switch route {
        case .perplexity: return (object["total"] as? [String: Any])?["tokens"] as? Int ?? 0
        case .completions: return (object["usage"] as? [String: Any])?["completion_tokens"] as? Int ?? 0
        }
    }

    /// The server's `lmserve_batch_size` histogram for the model (nil if /metrics is unreachable).
    func scrapeBatchSizes() -> BatchSizeHistogram? {
        guard let client = try? HTTPClient(host: configuration.host, port: configuration.port, receiveTimeoutSeconds: 10),
            let response = try? client.request("GET", "/metrics", headers: configuration.authorization),
            response.status == 200
        else { return nil }
        return BatchSizeHistogram(metrics: response.text, model: configuration.model)
    }
}

/// Per-worker results, written once each by their own thread.
final class ResultBox: Sendable {
    private let results: Mutex<[LoadGenerator.WorkerResult]>
    init(count: Int) { results = Mutex(Array(repeating: .init(), count: count)) }
    func set(_ i: Int, _ r: LoadGenerator.WorkerResult) { results.withLock { $0[i] = r } }
    var all: [LoadGenerator.WorkerResult] { results.withLock { $0 } }
}

/// Requests answered so far, over all workers, for the progress line.
final class LiveCounter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var requests: Int { count.withLock { $0 } }
}
