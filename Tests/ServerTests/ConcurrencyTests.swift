import Foundation
import HTTP
import LMServeTools
import Testing
@testable import Server

/// Concurrent clients get exactly what sequential requests get: nothing lost, nothing answered
/// twice, batching invisible in the numbers.
@Suite(.serialized) struct ConcurrencyTests {
    static func verses(_ n: Int) throws -> [String] {
        let text = try String(contentsOfFile: Shared.path("corpora/kjv/test.txt"), encoding: .utf8)
        return Array(text.split(separator: "\n").prefix(n).map(String.init))
    }

    /// Runs `work(i)` for i in 0..<n on n threads at once; returns results in index order.
    static func concurrently<T: Sendable>(_ n: Int, _ work: @escaping @Sendable (Int) throws -> T) throws -> [T] {
        let box = Box<T>(n)
        let group = DispatchGroup()
        for i in 0..<n {
            DispatchQueue.global().async(group: group) { box.set(i, Result { try work(i) }) }
        }
        group.wait()
        return try box.values.map { try $0!.get() }
    }

    // @unchecked: `items` is guarded by `lock`.
    final class Box<T>: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [Result<T, any Error>?]
        init(_ n: Int) { items = Array(repeating: nil, count: n) }
        func set(_ i: Int, _ r: Result<T, any Error>) { lock.withLock { items[i] = r } }
        var values: [Result<T, any Error>?] { lock.withLock { items } }
    }

    struct Scored: Equatable {
        var log10: [Double]
        var tokens: Int
    }

    static func score(_ server: RunningServer, _ model: String, _ text: String) throws -> Scored {
        let r = try server.post("/v1/perplexity", body(["model": model, "text": text, "per_token": true]))
        guard r.status == 200 else { throw HTTPClient.Failure(description: r.text) }
        let result = ((try json(r))["results"] as! [[String: Any]])[0]
        return Scored(log10: (result["per_token"] as! [[String: Any]]).map { $0["log10_prob"] as! Double }, tokens: result["tokens"] as! Int)
    }

    static func complete(_ server: RunningServer, _ model: String, _ prompt: String, seed: Int) throws -> String {
        let r = try server.post("/v1/completions", body(["model": model, "prompt": prompt, "max_tokens": 12, "seed": seed]))
        guard r.status == 200 else { throw HTTPClient.Failure(description: r.text) }
        return ((try json(r))["choices"] as! [[String: Any]])[0]["text"] as! String
    }

    @Test func sixtyFourClientsMatchSequentialRequests() async throws {
        let server = try await RunningServer.start { c in
            c.models = [
                .init(name: "kjv2", path: Shared.path("reference/kenlm/kjv2.arpa.gz")),
                .init(name: "lstm", path: Shared.path("reference/pytorch/kjv-lstm-2x512.safetensors")),
            ]
            c.batching.maxQueueDelayMicroseconds = 2000
        }
        let verses = try Self.verses(64)
        for model in ["kjv2", "lstm"] {
            let sequential = try verses.map { try Self.score(server, model, $0) }
            let concurrent = try Self.concurrently(64) { try Self.score(server, model, verses[$0]) }
            #expect(concurrent.map(\.tokens) == sequential.map(\.tokens))
            if model == "kjv2" {
                #expect(concurrent == sequential)
            } else {
                // Batched BLAS sums in another order than batch 1: equal to float rounding.
                let worst = zip(concurrent, sequential).flatMap { zip($0.log10, $1.log10).map { abs($0 - $1) } }.max() ?? 0
                #expect(worst < 1e-4, "largest difference \(worst)")
            }
            let prompts = verses.map { $0.split(separator: " ").prefix(3).joined(separator: " ") }
            let seqText = try (0..<32).map { try Self.complete(server, model, prompts[$0], seed: $0) }
            let conText = try Self.concurrently(32) { try Self.complete(server, model, prompts[$0], seed: $0) }
            #expect(conText == seqText)
        }
        let metrics = try server.get("/metrics").text
        // Batches larger than 1 were formed for the LSTM: mean batch size above 1.
        func value(_ prefix: String) -> Double {
            let line = metrics.split(separator: "\n").first { $0.hasPrefix(prefix) && $0.contains("model=\"lstm\"") }
            return Double(line?.split(separator: " ").last ?? "0") ?? 0
        }
        #expect(value("lmserve_batch_size_sum") > value("lmserve_batch_size_count"), "mean LSTM batch above 1")
        await server.stop()
    }
}
