import Foundation
import Logging

/// What applying a new configuration changed (`LMServer.apply`), for the log.
package struct ConfigurationChange: Sendable, Equatable, CustomStringConvertible {
    /// Models loading because the new configuration adds them.
    package var added: [String] = []
    /// Models draining because it no longer lists them.
    package var removed: [String] = []
    /// Models reloading: their path, tokenizer, batching or defaults changed, or their file did.
    package var reloaded: [String] = []
    /// Settings now in force (the request limits, `drain_timeout_s`, `watch_interval_s`; the
    /// `batching` keys through the reloads they cause).
    package var applied: [String] = []
    /// Settings that changed but take a restart (listener, TLS, the request log, HTTP limits…).
    package var needRestart: [String] = []

    package var description: String {
        func list(_ l: [String]) -> String { l.isEmpty ? "-" : l.joined(separator: ",") }
        return "added \(list(added)); removed \(list(removed)); reloaded \(list(reloaded)); "
            + "applied \(list(applied)); need a restart \(list(needRestart))"
    }
}

extension LMServer {
    /// Settings SIGHUP applies at once.
    static let liveKeys: Set<String> = [
        "drain_timeout_s", "watch_interval_s", "limits.max_tokens", "limits.max_n", "limits.max_logprobs", "limits.max_texts",
        "limits.request_timeout_ms", "batching.max_batch_size", "batching.max_queue_delay_us", "batching.max_queue_size",
        "batching.scoring_chunk_size", "batching.workers",
    ]

    /// Applies `new` (the config file re-read on SIGHUP, with the command line's flags): models
    /// it adds are loaded, models it drops are unloaded, models whose settings or file changed
    /// are reloaded (next to the serving version, as `/admin/models/NAME/reload` does), and the
    /// settings that can change live do. Nothing changes if `new` is invalid or names a model
    /// file that cannot be loaded.
    ///
    /// - Throws: `ConfigurationError` listing the problems.
    @discardableResult
    package func apply(_ new: ServerConfiguration) throws -> ConfigurationChange {
        var problems = new.validate()
        let old = lifecycle.currentConfiguration
        var change = ConfigurationChange()
        for setting in ServerConfiguration.settings where setting.value(in: old) != setting.value(in: new) {
            if Self.liveKeys.contains(setting.key) { change.applied.append(setting.key) } else { change.needRestart.append(setting.key) }
        }
        // What each listed model needs, checked before anything changes.
        var loads: [(ServerConfiguration.Model, reload: Bool)] = []
        for spec in new.loadOrder {
            do {
                if let entry = registry.entry(named: spec.name) {
                    guard entry.state != .draining else { throw APIError.modelExists(name: spec.name, state: entry.state.rawValue) }
                    registry.markConfigured(spec.name)
                    if try needsReload(entry, as: spec, old: old, new: new) {
                        try lifecycle.check(spec)
                        loads.append((spec, true))
                    }
                } else {
                    try lifecycle.check(spec)
                    loads.append((spec, false))
                }
            } catch let error as APIError {
                problems.append("model '\(spec.name)': \(error.errorMessage)")
            }
        }
        guard problems.isEmpty else {
            throw ConfigurationError(file: "configuration", message: problems.joined(separator: "; "))
        }
        lifecycle.setConfiguration(new)
        limits.current = new.limits
        if new.watchIntervalSeconds != old.watchIntervalSeconds { watch(every: new.watchIntervalSeconds) }
        let listed = Set(new.models.map(\.name))
        // Ensembles first: their members cannot go while they serve.
        let dropped = registry.entriesSnapshot.filter { !listed.contains($0.name) && $0.entry.configured && $0.entry.state != .draining }
        for (name, _) in dropped.filter({ $0.entry.spec.isEnsemble }) + dropped.filter({ !$0.entry.spec.isEnsemble }) {
            do {
                try lifecycle.unload(name)
                change.removed.append(name)
            } catch {
                logger.error("configuration: cannot unload model", metadata: ["model": "\(name)", "error": "\(error)"])
            }
        }
        for (spec, reload) in loads {
            do {
                if reload {
                    try lifecycle.reload(spec, configured: true)
                    change.reloaded.append(spec.name)
                } else {
                    try lifecycle.add(spec, configured: true)
                    change.added.append(spec.name)
                }
            } catch {
                logger.error("configuration: cannot apply model", metadata: ["model": "\(spec.name)", "error": "\(error)"])
            }
        }
        return change
    }

    /// Whether `entry` must load again to match `spec` under `new`: its settings or effective
    /// batching changed, or its file is not the one loaded.
    private func needsReload(
        _ entry: ModelRegistry.Entry, as spec: ServerConfiguration.Model, old: ServerConfiguration, new: ServerConfiguration
    ) throws -> Bool {
        guard let current = entry.current else { return entry.state == .failed }
        if current.spec != spec || old.batching(for: current.spec) != new.batching(for: spec) { return true }
        guard let stamp = try? ModelFileStamp(path: spec.path) else { return true }
        return stamp.modified != current.version.modified || stamp.size != current.version.size
    }

    /// Starts (or stops, for 0) polling the model files every `seconds` (`--watch`).
    func watch(every seconds: Double) {
        let task: Task<Void, Never>? =
            seconds > 0
            ? Task { [lifecycle] in
                while !Task.isCancelled {
                    // The poll's period, not a synchronisation.
                    try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                    if Task.isCancelled { break }
                    await lifecycle.reloadChangedFiles()
                }
            } : nil
        watcher.withLock { old in
            old?.cancel()
            old = task
        }
    }
}
