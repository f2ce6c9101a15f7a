import Batching
import Foundation

/// What a handler learned about a request, for its log row and metrics.
///
/// The instrumentation responder creates one per request and binds it as a task local; the
/// handler fills it in (streaming handlers capture it, since their body runs later).
final class RequestTrace: @unchecked Sendable {
    @TaskLocal static var current: RequestTrace?

    private let lock = NSLock()
    private var _model: String?
    private var _promptTokens = 0
    private var _completionTokens = 0
    private var _scoredTokens = 0
    private var _perplexity: Double?
    private var _timing: JobTiming?
    private var _errorType: String?
    private var _promptText: String?
    private var _outputText: String?
    private var _firstTokenSeconds: Double?

    func update(_ body: (RequestTrace) -> Void) { lock.withLock { body(self) } }

    var model: String? {
        get { lock.withLock { _model } }
        set { lock.withLock { _model = newValue } }
    }
    var promptTokens: Int {
        get { lock.withLock { _promptTokens } }
        set { lock.withLock { _promptTokens = newValue } }
    }
    var completionTokens: Int {
        get { lock.withLock { _completionTokens } }
        set { lock.withLock { _completionTokens = newValue } }
    }
    var scoredTokens: Int {
        get { lock.withLock { _scoredTokens } }
        set { lock.withLock { _scoredTokens = newValue } }
    }
    var perplexity: Double? {
        get { lock.withLock { _perplexity } }
        set { lock.withLock { _perplexity = newValue } }
    }
    var errorType: String? {
        get { lock.withLock { _errorType } }
        set { lock.withLock { _errorType = newValue } }
    }
    var promptText: String? {
        get { lock.withLock { _promptText } }
        set { lock.withLock { _promptText = newValue } }
    }
    var outputText: String? {
        get { lock.withLock { _outputText } }
        set { lock.withLock { _outputText = newValue } }
    }
    var firstTokenSeconds: Double? {
        get { lock.withLock { _firstTokenSeconds } }
        set { lock.withLock { if _firstTokenSeconds == nil { _firstTokenSeconds = newValue } } }
    }
    var timing: JobTiming? { lock.withLock { _timing } }

    /// Keeps the longest queue and compute times and the largest batch of the request's jobs.
    func add(_ t: JobTiming) {
        lock.withLock {
            var m = _timing ?? JobTiming()
            m.queueSeconds = max(m.queueSeconds, t.queueSeconds)
            m.computeSeconds = max(m.computeSeconds, t.computeSeconds)
            m.batchSize = max(m.batchSize, t.batchSize)
            _timing = m
        }
    }
}
