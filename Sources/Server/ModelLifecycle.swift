import Batching
import Foundation
import LMCore
import LSTM
import Logging
import Synchronization
import Telemetry

/// Loads, reloads and unloads models while the server runs (`/admin/models`, SIGHUP, `--watch`).
///
/// Loads run in the background, one at a time, off the event loops; the registry's entry says
/// `loading` until the version is ready. A reload loads the new version next to the serving
/// one and swaps them in one step of the registry; the replaced version, like an unloaded one,
/// is retired once the requests that hold it have finished: its scheduler stops and the model
/// is freed (its file unmapped).
final class ModelLifecycle: Sendable {
    let registry: ModelRegistry
    let metrics: ServerMetrics
    let events: SQLiteRequestLog?
    let logger: Logger
    /// The configuration new versions are loaded under (server-wide batching, limits, base
    /// directory); SIGHUP replaces it.
    private let configuration: Mutex<ServerConfiguration>
    /// `--watch`: the stamp of each model's file when last looked at.
    private let watched = Mutex<[String: ModelFileStamp]>([:])
    /// Versions no longer handed out whose requests are still finishing.
    private let retiringVersions = Mutex<[ObjectIdentifier: ServedModel]>([:])
    /// Background loads and retirements not yet finished, by a serial number.
    private let work = Mutex<(next: Int, tasks: [Int: Task<Void, Never>])>((0, [:]))
    /// Where model files are read and parsed: one at a time, so two big loads never overlap.
    private static let loadQueue = DispatchQueue(label: "lmserve.model-load")

    init(configuration: ServerConfiguration, registry: ModelRegistry, metrics: ServerMetrics, events: SQLiteRequestLog?, logger: Logger) {
        self.configuration = Mutex(configuration)
        self.registry = registry
        self.metrics = metrics
        self.events = events
        self.logger = logger
    }

    var currentConfiguration: ServerConfiguration { configuration.withLock { $0 } }

    /// The configuration later loads use (SIGHUP).
    func setConfiguration(_ new: ServerConfiguration) { configuration.withLock { $0 = new } }

    /// Start-up: loads each configured model in turn and waits.
    ///
    /// - Throws: the first model's load error (`ModelLoadError`).
    func loadConfigured() async throws {
        // Ensembles after their members.
        for spec in currentConfiguration.loadOrder {
            let id = try registry.beginLoad(spec, configured: true)
            let result = await load(spec)
            _ = registry.finishLoad(name: spec.name, id: id, result: result)
            try published(spec, result, reload: false)
        }
        registry.isStarted = true
        updateReadiness()
    }

    // MARK: - Changes

    /// Checks `spec`, adds it as `loading` and loads it in the background.
    ///
    /// - Throws: `APIError.invalidField` for bad settings, `.unloadableFile` for a path that
    ///   cannot be loaded, `.modelExists` for a taken name.
    func add(_ spec: ServerConfiguration.Model, configured: Bool) throws {
        try check(spec)
        let id = try registry.beginLoad(spec, configured: configured)
        updateReadiness()
        startLoad(spec, id: id, reload: false)
    }

    /// Loads `spec` as the next version of its model in the background; the serving version
    /// keeps serving until the new one is ready, and stays if it fails.
    ///
    /// - Throws: as `add`, and `APIError.modelNotFound`.
    func reload(_ spec: ServerConfiguration.Model, configured: Bool? = nil) throws {
        try check(spec)
        let id = try registry.beginReload(spec, configured: configured)
        updateReadiness()
        startLoad(spec, id: id, reload: true)
    }

    /// Stops admitting requests for `name`; once those in flight finish, the model is freed and
    /// the name is gone.
    ///
    /// - Throws: `APIError.modelNotFound`.
    func unload(_ name: String) throws {
        if let ensemble = registry.entriesSnapshot.first(where: { $0.entry.state != .draining && $0.entry.spec.members.contains { $0.name == name } }) {
            throw APIError.modelInUse(name: name, ensemble: ensemble.name)
        }
        let current = try registry.beginUnload(name)
        updateReadiness()
        logger.info("unloading model", metadata: ["model": "\(name)", "in_flight": "\(current?.inFlight ?? 0)"])
        background { [self] in
            if let current { await retire(current) }
            registry.finishUnload(name)
            metrics.removeModelInfo(name: name)
            updateReadiness()
            events?.recordModelEvent(ModelEvent(time: Date().timeIntervalSince1970, model: name, kind: .unload, detail: current?.version.id))
            logger.info("unloaded model", metadata: ["model": "\(name)"])
        }
    }

    /// The settings `name` is served with now (for a reload that changes some of them).
    func spec(of name: String) throws -> ServerConfiguration.Model {
        guard let e = registry.entry(named: name) else { throw APIError.modelNotFound(name) }
        return e.current?.spec ?? e.spec
    }

    /// Waits until every background load and retirement started so far has finished.
    func settle() async {
        while true {
            let tasks = work.withLock { Array($0.tasks.values) }
            if tasks.isEmpty { return }
            for t in tasks { await t.value }
        }
    }

    /// Resolves `spec.path` and checks the file and the settings, so that a bad request is a
    /// 4xx now rather than a failed load later.
    func check(_ spec: ServerConfiguration.Model) throws {
        let problems = currentConfiguration.validate(model: spec)
        if let first = problems.first {
            let field = String(first.prefix { $0 != " " && $0 != ":" })
            throw APIError.invalidField(field: field, message: String(first.dropFirst(field.count)).trimmingCharacters(in: .whitespaces))
        }
        if spec.isEnsemble { return }  // no file; its members are checked with the configuration
        do { _ = try ModelFileStamp(path: spec.path) } catch let e as ModelFileError {
            throw APIError.unloadableFile(field: "path", message: "\(e.reason): \(e.path)")
        }
    }

    /// `--watch`: reloads each serving model whose file changed since it was loaded. A change
    /// of time or size is what is polled; the file is then hashed, so a file touched with the
    /// same bytes stays loaded (and is not hashed again until it changes again).
    func reloadChangedFiles() async {
        for (name, entry) in registry.entriesSnapshot {
            guard entry.state == .ready, let current = entry.current, entry.reload?.state != .loading else { continue }
            let path = current.spec.path
            guard let stamp = try? ModelFileStamp(path: path) else { continue }
            let seen = watched.withLock { $0[name] } ?? ModelFileStamp(modified: current.version.modified, size: current.version.size)
            if stamp == seen { continue }
            watched.withLock { $0[name] = stamp }
            let version: ModelVersion? = await withCheckedContinuation { continuation in
                Self.loadQueue.async { continuation.resume(returning: try? ModelVersion(file: path)) }
            }
            guard let version, version.sha256 != current.version.sha256 else { continue }
            logger.info("model file changed; reloading", metadata: ["model": "\(name)", "file": "\(path)"])
            do { try reload(current.spec) } catch {
                logger.error("cannot reload a changed model", metadata: ["model": "\(name)", "error": "\(error)"])
            }
        }
    }

    // MARK: - Loading

    private func startLoad(_ spec: ServerConfiguration.Model, id: Int, reload: Bool) {
        logger.info(reload ? "reloading model" : "loading model", metadata: ["model": "\(spec.name)", "file": "\(spec.path)"])
        background { [self] in
            let result = await load(spec)
            let retired = registry.finishLoad(name: spec.name, id: id, result: result)
            // A result nobody waits for (unloaded or superseded meanwhile) is dropped unpublished.
            let current = registry.entry(named: spec.name)?.current
            if case .success(let m) = result, m !== current {
                await retire(m)
                return
            }
            try? published(spec, result, reload: reload)
            updateReadiness()
            // Ensembles hold their members' models: rebuild those that use the new version.
            if reload, case .success = result {
                for (_, e) in registry.entriesSnapshot where e.state == .ready && e.spec.members.contains(where: { $0.name == spec.name }) {
                    try? self.reload(e.spec)
                }
            }
            if let retired { await retire(retired) }
        }
    }

    /// Loads a version on the load queue, without blocking the caller's thread; an ensemble is
    /// built from its members' serving versions once none of them is still loading.
    private func load(_ spec: ServerConfiguration.Model) async -> Result<ServedModel, any Error> {
        let configuration = currentConfiguration
        if spec.isEnsemble {
            while true {
                let seen = registry.changeCount
                let states = spec.members.map { registry.entry(named: $0.name)?.state }
                if !states.contains(.loading) { break }
                await registry.waitForChange(after: seen)
            }
            return Result {
                let members = try spec.members.map { member in
                    guard let served = registry.entry(named: member.name)?.current else {
                        throw ModelLoadError(path: spec.name, message: "ensemble '\(spec.name)': member '\(member.name)' is not loaded")
                    }
                    return (member, served)
                }
                return try ModelLoader.loadEnsemble(
                    spec, members: members, tokenizer: configuration.tokenizer(of: spec), configuration: configuration,
                    hooks: hooks, logger: logger)
            }
        }
        return await withCheckedContinuation { continuation in
            Self.loadQueue.async {
                continuation.resume(
                    returning: Result {
                        try ModelLoader.load(spec, configuration: configuration, hooks: self.hooks, logger: self.logger)
                    })
            }
        }
    }

    /// Each model's scheduler hooks, wired to the metrics.
    private var hooks: SchedulerHooksFactory {
        { [metrics] name in
            SchedulerHooks(
                batchFormed: { metrics.recordBatch(model: name, size: $0) },
                queueDepthChanged: { metrics.setQueueDepth(model: name, $0) })
        }
    }

    /// Metrics, the model event and the log line for a finished load; rethrows its error.
    private func published(_ spec: ServerConfiguration.Model, _ result: Result<ServedModel, any Error>, reload: Bool) throws {
        let now = Date().timeIntervalSince1970
        switch result {
        case .failure(let error):
            events?.recordModelEvent(ModelEvent(time: now, model: spec.name, kind: .failure, detail: "\(error)"))
            logger.error(
                reload ? "reload failed; the serving version stays" : "model failed to load",
                metadata: ["model": "\(spec.name)", "error": "\(error)"])
            throw error
        case .success(let served):
            let d = served.description
            // OpenBLAS (the LSTM's products) keeps one thread count for the whole process: set
            // only when an LSTM is served, so a server of N-gram models leaves it alone.
            if d.type == "lstm" { LSTMModel.blasThreads = currentConfiguration.batching.workerCount }
            metrics.setModelInfo(
                name: served.name, type: d.type, order: d.parameter("order"), layers: d.parameter("layers"), version: served.version.id)
            metrics.setModelLoadSeconds(model: served.name, served.loadSeconds)
            if served.batching.maxQueueSize > 0 { metrics.setQueueCapacity(model: served.name, served.batching.maxQueueSize) }
            events?.recordModelEvent(
                ModelEvent(time: now, model: spec.name, kind: reload ? .reload : .load, detail: "\(spec.path) \(served.version.id)"))
            logger.info(
                reload ? "reloaded model" : "loaded model",
                metadata: [
                    "model": "\(served.name)", "type": "\(d.type)", "format": "\(d.format)", "file": "\(d.path)",
                    "version": "\(served.version.id)", "vocabulary": "\(d.vocabularySize)",
                    "seconds": "\(String(format: "%.3f", served.loadSeconds))",
                ])
        }
    }

    private func updateReadiness() {
        metrics.setReady(registry.isReady)
        metrics.setModelsConfigured(registry.entriesSnapshot.filter { $0.entry.configured }.count)
    }

    /// Versions being retired now (the drain deadline cuts their requests off too).
    var retiring: [ServedModel] { retiringVersions.withLock { Array($0.values) } }

    /// Waits for `version`'s requests, then stops its scheduler (`ServedModel.retire`).
    private func retire(_ version: ServedModel) async {
        retiringVersions.withLock { $0[ObjectIdentifier(version)] = version }
        await version.retire()
        _ = retiringVersions.withLock { $0.removeValue(forKey: ObjectIdentifier(version)) }
    }

    /// Runs `body` as a tracked task (`settle()` waits for it).
    private func background(_ body: @escaping @Sendable () async -> Void) {
        work.withLock { w in
            let n = w.next
            w.next += 1
            w.tasks[n] = Task { [self] in
                await body()
                _ = work.withLock { $0.tasks.removeValue(forKey: n) }
            }
        }
    }
}
