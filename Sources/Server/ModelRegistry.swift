import Foundation

/// The models the server serves, by name. Filled once at start-up, then read-only.
package final class ModelRegistry: @unchecked Sendable {  // state guarded by `lock`
    private let lock = NSLock()
    private var models: [String: ServedModel] = [:]
    private var order: [String] = []
    private var _ready = false
    private var _draining = false

    package init() {}

    package func add(_ model: ServedModel) {
        lock.withLock {
            if models[model.name] == nil { order.append(model.name) }
            models[model.name] = model
        }
    }

    /// True once every configured model has loaded (`GET /ready`).
    package var isReady: Bool {
        get { lock.withLock { _ready } }
        set { lock.withLock { _ready = newValue } }
    }

    /// True from the start of a shutdown until exit: `/ready` answers 503 so load balancers stop
    /// sending while in-flight requests finish.
    package var isDraining: Bool {
        get { lock.withLock { _draining } }
        set { lock.withLock { _draining = newValue } }
    }

    package var all: [ServedModel] { lock.withLock { order.compactMap { models[$0] } } }

    /// - Throws: `APIError.modelNotFound`, or `.notReady` while loading.
    package func model(named name: String) throws -> ServedModel {
        try lock.withLock {
            if let m = models[name] { return m }
            if !_ready { throw APIError.notReady }
            throw APIError.modelNotFound(name)
        }
    }
}
