/// Callbacks through which a scheduler reports what it does (wired to metrics by the server).
///
/// They run on the engine thread, so they must be cheap and must not block.
package struct SchedulerHooks: Sendable {
    /// A step ran with this many sequences.
    package var batchFormed: @Sendable (Int) -> Void
    /// Requests waiting for admission changed to this number.
    package var queueDepthChanged: @Sendable (Int) -> Void

    package init(
        batchFormed: @escaping @Sendable (Int) -> Void = { _ in },
        queueDepthChanged: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.batchFormed = batchFormed
        self.queueDepthChanged = queueDepthChanged
    }
}
