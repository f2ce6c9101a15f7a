import Foundation
import Logging
@testable import Telemetry

/// A fresh temporary directory, removed by `cleanup()`.
struct TempDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("lmserve-telemetry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func cleanup() { try? FileManager.default.removeItem(at: url) }
}

/// A request-log configuration whose writer waits, before it takes its first rows, until
/// `gate` is signalled (and then never again): rows queue up behind a paused writer.
func pausedWriter(capacity: Int = SQLiteRequestLog.Configuration().capacity) -> (SQLiteRequestLog.Configuration, gate: DispatchSemaphore) {
    let gate = DispatchSemaphore(value: 0)
    var configuration = SQLiteRequestLog.Configuration(capacity: capacity)
    configuration.writerWillDrain = {
        gate.wait()
        gate.signal()  // once opened, stays open
    }
    return (configuration, gate)
}

/// A deterministic mixed record: routes, models and statuses vary with `index`.
func makeRecord(_ index: Int, time: Double = 1_700_000_000) -> RequestRecord {
    let routes = ["/v1/perplexity", "/v1/completions", "/v1/models"]
    let models = ["kenlm-5", "lstm-2", nil]
    let statuses = [200, 200, 200, 404, 503, 200, 400]
    let status = statuses[index % statuses.count]
    return RequestRecord(
        requestID: "req-\(index)", time: time + Double(index), route: routes[index % routes.count],
        model: models[index % models.count], status: status,
        errorType: status >= 400 ? (status == 503 ? "queue_full" : "bad_request") : nil,
        clientAddress: index % 2 == 0 ? "127.0.0.1:\(40000 + index)" : nil,
        latencyMs: Double(index % 50) + 0.5, queueMs: index % 3 == 0 ? nil : Double(index % 7) * 0.25,
        computeMs: Double(index % 11) * 0.5, batchSize: index % 5 == 0 ? nil : index % 64 + 1,
        promptTokens: index % 13, completionTokens: index % 3 == 1 ? index % 17 : 0, scoredTokens: index % 19,
        perplexity: index % 3 == 0 ? 100 + Double(index) / 8 : nil,
        promptText: index % 4 == 0 ? "prompt \(index)" : nil, outputText: index % 8 == 0 ? "output \(index)" : nil)
}

/// A logger for code under test (swift-log's default stderr handler).
let testLogger = Logger(label: "lmserve.telemetry.tests")
