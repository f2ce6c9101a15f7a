import Foundation

/// Metric handles of one family by label values, created on first use.
///
/// Creating a swift-metrics handle goes through the Prometheus registry (name checks, a lock,
/// a dictionary of label sets): about 1 µs. Looking one up here is a fraction of that, which
/// matters on the per-request path.
// @unchecked: `handles` is guarded by `lock`; `make` runs only under it.
final class MetricHandleCache<Handle>: @unchecked Sendable {
    private let lock = NSLock()
    private var handles: [[String]: Handle] = [:]
    private let make: ([String]) -> Handle

    /// - Parameter make: creates the handle for label values given in the family's label order.
    init(make: @escaping ([String]) -> Handle) {
        self.make = make
    }

    /// The handle for `values`, created by `make` the first time.
    func handle(_ values: [String]) -> Handle {
        lock.lock()
        defer { lock.unlock() }
        if let existing = handles[values] { return existing }
        let created = make(values)
        handles[values] = created
        return created
    }
}
