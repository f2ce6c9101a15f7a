import Batching
import Foundation

/// A scheduler clock that moves only when a test advances it.
///
/// Advancing wakes every engine waiting on this clock, so a queue delay or deadline that has
/// now passed is seen at once; nothing depends on how fast the machine is.
package final class ManualClock: SchedulerClock, @unchecked Sendable {  // state guarded by `lock`
    private let lock = NSLock()
    private var elapsed = Duration.zero
    private var waiters: [Int: NSCondition] = [:]
    private var nextWaiter = 0

    package init() {}

    package var now: Duration { lock.withLock { elapsed } }

    package func advance(by duration: Duration) {
        let conditions = lock.withLock {
            elapsed += duration
            return Array(waiters.values)
        }
        for condition in conditions { condition.withLock { condition.broadcast() } }
    }

    package func wait(on condition: NSCondition, until deadline: Duration?) {
        // Registered before the time is read, with `condition` held: an advance either came
        // first (and is read below) or broadcasts once this thread waits.
        let id = lock.withLock {
            nextWaiter += 1
            waiters[nextWaiter] = condition
            return nextWaiter
        }
        defer { lock.withLock { waiters[id] = nil } }
        if let deadline, now >= deadline { return }
        condition.wait()
    }
}
