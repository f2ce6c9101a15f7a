import Batching
import Foundation
import HTTP
import Synchronization

/// What a handler learned about a request, for its log row and metrics.
///
/// The instrumentation responder creates one per request and binds it as a task local; the
/// handler fills it in (streaming handlers capture it, since their body runs later).
final class RequestTrace: Sendable {
    @TaskLocal static var current: RequestTrace?

    struct Fields {
        /// The model as the client named it (for the log row).
        var requestedModel: String?
        /// The served model, set once the name resolved (the metrics label).
        var model: String?
        /// The version of the model that served it (`ModelVersion.id`).
        var modelVersion: String?
        var promptTokens = 0
        var completionTokens = 0
        var scoredTokens = 0
        var perplexity: Double?
        /// The longest queue and compute times and the largest batch of the request's jobs.
        var timing: JobTiming?
        /// The error the request failed with, as thrown (or sent in a stream); its `errorType`
        /// goes into the log row.
        var error: (any HTTPResponseError)?
        var promptText: String?
        var outputText: String?
        var firstTokenSeconds: Double?
        /// The name of the API key the request came with (authentication on).
        var keyName: String?
    }

    private let fields = Mutex(Fields())

    /// Changes fields under the lock.
    func update(_ body: (inout Fields) -> Void) { fields.withLock { body(&$0) } }

    /// A copy of the fields.
    var snapshot: Fields { fields.withLock { $0 } }

    /// Records the model version that serves the request.
    func served(by model: ServedModel) {
        update {
            $0.model = model.name
            $0.modelVersion = model.version.id
        }
    }

    /// Merges a job's timing into the request's.
    func add(_ t: JobTiming) {
        update { f in
            var m = f.timing ?? JobTiming()
            m.queueSeconds = max(m.queueSeconds, t.queueSeconds)
            m.computeSeconds = max(m.computeSeconds, t.computeSeconds)
            m.batchSize = max(m.batchSize, t.batchSize)
            f.timing = m
        }
    }

    /// Records the error the request failed with, unless one was recorded already.
    func fail(with error: any HTTPResponseError) {
        update { if $0.error == nil { $0.error = error } }
    }

    /// Records the time to the first token once.
    func firstToken(after seconds: Double) {
        update { if $0.firstTokenSeconds == nil { $0.firstTokenSeconds = seconds } }
    }
}
