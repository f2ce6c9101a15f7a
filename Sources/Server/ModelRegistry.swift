import Foundation
import Synchronization

/// The models the server serves, by name: a live table that the admin API, SIGHUP and `--watch`
/// change while requests read it. Each name has one entry; a ready entry holds the version that
/// serves new requests. Handlers take a lease on that version once per request
/// (`lease(named:)`) and use it until they finish, so a version replaced or unloaded meanwhile
/// still serves the requests it admitted (`ModelLifecycle` retires it when they end).
package final class ModelRegistry: @unchecked Sendable {  // state guarded by `lock`
    package enum State: String, Sendable {
        /// The first version is loading; requests get 503.
        case loading
        case ready
        /// The first version failed to load (`error` says why); requests get 503.
        case failed
        /// Unloading: no new requests; the entry goes once those in flight have finished.
        case draining
    }

    /// A reload under way, or the last one that failed, while the current version serves on.
    package struct PendingReload: Sendable, Equatable {
        package var path: String
        /// `.loading` or `.failed`.
        package var state: State
        package var error: String?
    }

    package struct Entry: Sendable {
        /// What the entry should serve (the pending reload's settings while one runs).
        package var spec: ServerConfiguration.Model
        /// From the config file: `/ready` waits for these (models added by the admin API do not
        /// hold the server's readiness hostage).
        package var configured: Bool
        package var state: State
        package var current: ServedModel?
        /// Why the first load failed.
        package var error: String?
        package var reload: PendingReload?
        /// The load whose result this entry waits for (0: none).
        fileprivate var loadID = 0

        package init(spec: ServerConfiguration.Model, configured: Bool, state: State, current: ServedModel? = nil) {
            self.spec = spec
            self.configured = configured
            self.state = state
            self.current = current
        }
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private var order: [String] = []
    private var nextLoadID = 1
    private var _started = false
    private var _draining = false
    private var changes = 0
    private var changeWaiters: [(after: Int, continuation: CheckedContinuation<Void, Never>)] = []

    package init() {}

    /// Adds (or replaces) a ready entry for an already loaded model.
    package func add(_ model: ServedModel, configured: Bool = true) {
        mutate {
            if entries[model.name] == nil { order.append(model.name) }
            entries[model.name] = Entry(spec: model.spec, configured: configured, state: .ready, current: model)
        }
    }

    /// True once start-up has loaded the configured models; before that, unknown names are 503
    /// (they may be about to load), not 404.
    package var isStarted: Bool {
        get { lock.withLock { _started } }
        set { lock.withLock { _started = newValue } }
    }

    /// `GET /ready`: started, not shutting down, and every configured model ready.
    package var isReady: Bool {
        lock.withLock { _started && !_draining && entries.values.allSatisfy { !$0.configured || $0.state == .ready } }
    }

    /// True from the start of a shutdown until exit: `/ready` answers 503 so load balancers stop
    /// sending while in-flight requests finish.
    package var isDraining: Bool {
        get { lock.withLock { _draining } }
        set { lock.withLock { _draining = newValue } }
    }

    /// The versions serving now, in the order the models were added.
    package var all: [ServedModel] { lock.withLock { order.compactMap { entries[$0]?.current } } }

    /// Every entry, in the order the models were added.
    package var entriesSnapshot: [(name: String, entry: Entry)] {
        lock.withLock { order.compactMap { name in entries[name].map { (name, $0) } } }
    }

    package func entry(named name: String) -> Entry? { lock.withLock { entries[name] } }

    /// The version serving `name` now, leased until the lease is released.
    ///
    /// - Throws: `APIError.modelNotFound`; `.modelUnavailable` while it loads, after its load
    ///   failed, or while it drains; `.notReady` for an unknown name during start-up.
    package func lease(named name: String) throws -> ModelLease {
        try lock.withLock {
            guard let e = entries[name] else {
                if !_started { throw APIError.notReady }
                throw APIError.modelNotFound(name)
            }
            guard e.state == .ready, let m = e.current else {
                throw APIError.modelUnavailable(name: name, state: e.state.rawValue, reason: e.error)
            }
            m.acquire()
            return ModelLease(m)
        }
    }

    // MARK: - Changes (made by `ModelLifecycle`)

    /// Adds a loading entry for `spec`; returns the load's id for `finishLoad`.
    ///
    /// - Throws: `APIError.modelExists` if the name is taken (in any state).
    func beginLoad(_ spec: ServerConfiguration.Model, configured: Bool) throws -> Int {
        try mutate {
            guard entries[spec.name] == nil else {
                throw APIError.modelExists(name: spec.name, state: entries[spec.name]!.state.rawValue)
            }
            order.append(spec.name)
            let id = takeLoadID()
            var e = Entry(spec: spec, configured: configured, state: .loading)
            e.loadID = id
            entries[spec.name] = e
            return id
        }
    }

    /// Starts loading a new version of `name` next to the serving one (or, after a failed first
    /// load, in its place). A reload already under way is superseded: its result is discarded.
    ///
    /// - Throws: `APIError.modelNotFound`, or `.modelExists` while the first version loads or
    ///   the model drains.
    func beginReload(_ spec: ServerConfiguration.Model, configured: Bool? = nil) throws -> Int {
        try mutate {
            guard var e = entries[spec.name] else { throw APIError.modelNotFound(spec.name) }
            guard e.state == .ready || e.state == .failed else {
                throw APIError.modelExists(name: spec.name, state: e.state.rawValue)
            }
            let id = takeLoadID()
            e.loadID = id
            e.spec = spec
            if let configured { e.configured = configured }
            if e.current == nil {
                e.state = .loading
                e.error = nil
            } else {
                e.reload = PendingReload(path: spec.path, state: .loading)
            }
            entries[spec.name] = e
            return id
        }
    }

    /// Records the outcome of load `id`. Returns the version to retire: the one a successful
    /// reload replaced, or the new one if nobody waits for it any more (unloaded or superseded).
    func finishLoad(name: String, id: Int, result: Result<ServedModel, any Error>) -> ServedModel? {
        mutate {
            guard var e = entries[name], e.loadID == id, e.state != .draining else {
                return try? result.get()
            }
            e.loadID = 0
            var replaced: ServedModel?
            switch result {
            case .success(let m):
                replaced = e.current
                e.current = m
                e.state = .ready
                e.error = nil
                e.reload = nil
            case .failure(let error):
                if e.current == nil {
                    e.state = .failed
                    e.error = "\(error)"
                } else {
                    e.reload?.state = .failed
                    e.reload?.error = "\(error)"
                    // The entry keeps describing what serves.
                    e.spec = e.current!.spec
                }
            }
            entries[name] = e
            return replaced
        }
    }

    /// Stops admitting requests to `name`: the entry drains. Returns the version to retire.
    ///
    /// - Throws: `APIError.modelNotFound`.
    func beginUnload(_ name: String) throws -> ServedModel? {
        try mutate {
            guard var e = entries[name] else { throw APIError.modelNotFound(name) }
            let current = e.current
            e.state = .draining
            e.current = nil
            e.loadID = 0
            e.reload = nil
            entries[name] = e
            return current
        }
    }

    /// Counts `name` as a model of the configuration from now on (for `/ready`).
    func markConfigured(_ name: String) {
        mutate { entries[name]?.configured = true }
    }

    /// Removes a drained entry.
    func finishUnload(_ name: String) {
        mutate {
            guard entries[name]?.state == .draining else { return }
            entries[name] = nil
            order.removeAll { $0 == name }
        }
    }

    /// Changes of the table so far (for `waitForChange`).
    package var changeCount: Int { lock.withLock { changes } }

    /// Returns once the table has changed more than `count` times: tests wait on states this
    /// way instead of polling.
    package func waitForChange(after count: Int) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now: Bool = lock.withLock {
                if changes > count { return true }
                changeWaiters.append((count, c))
                return false
            }
            if now { c.resume() }
        }
    }

    /// Runs `body` under the lock as one change of the table, then wakes its waiters.
    private func mutate<T>(_ body: () throws -> T) rethrows -> T {
        var woken: [CheckedContinuation<Void, Never>] = []
        defer { for c in woken { c.resume() } }
        return try lock.withLock {
            let result = try body()
            changes += 1
            woken = changeWaiters.map(\.continuation)
            changeWaiters = []
            return result
        }
    }

    private func takeLoadID() -> Int {
        defer { nextLoadID += 1 }
        return nextLoadID
    }
}

/// A request's hold on one model version: the version serves the request to its end even if it
/// is replaced or unloaded meanwhile. Release it when the request ends (also done on deinit, so
/// a stream whose body never runs does not hold the version forever).
package final class ModelLease: Sendable {
    package let model: ServedModel
    private let released = Atomic<Bool>(false)

    init(_ model: ServedModel) { self.model = model }

    package func release() {
        if !released.exchange(true, ordering: .acquiringAndReleasing) { model.release() }
    }

    deinit { release() }
}
