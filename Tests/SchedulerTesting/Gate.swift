import Foundation

/// Holds a model's engine thread inside a step until the test lets it through.
///
/// `arrivals` counts the threads that reached the gate, so a test can wait for the engine to
/// be inside a step instead of polling.
package final class Gate: @unchecked Sendable {  // state guarded by `condition`
    private let condition = NSCondition()
    private var passes = 0
    private var isOpen = false
    package let arrivals = Observed(0)

    package init() {}

    /// Called by the model: blocks until a pass is given or the gate is open.
    package func wait() {
        arrivals.update { $0 += 1 }
        condition.withLock {
            while passes == 0 && !isOpen { condition.wait() }
            if !isOpen { passes -= 1 }
        }
    }

    /// Lets `count` more waits through.
    package func signal(_ count: Int = 1) {
        condition.withLock {
            passes += count
            condition.broadcast()
        }
    }

    /// Lets every wait through from now on.
    package func open() {
        condition.withLock {
            isOpen = true
            condition.broadcast()
        }
    }
}
