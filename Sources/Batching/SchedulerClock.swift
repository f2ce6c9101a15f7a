import Foundation

/// The scheduler's time: when requests arrive, when their deadlines and queue delays end, and
/// how the engine thread waits for those moments.
///
/// Times are durations since the clock's own origin. The server uses `SystemSchedulerClock`;
/// tests use a manual clock that moves only when they advance it, waking the engine as it does.
package protocol SchedulerClock: Sendable {
    /// The time elapsed since the clock's origin.
    var now: Duration { get }

    /// Waits on `condition`, which the caller holds locked, until it is signalled or `deadline`
    /// has passed on this clock (nil: until signalled). May return early; callers re-check.
    func wait(on condition: NSCondition, until deadline: Duration?)
}

/// Real time, from `ContinuousClock` (which keeps counting while the machine sleeps).
package struct SystemSchedulerClock: SchedulerClock {
    private let origin = ContinuousClock.now

    package init() {}

    package var now: Duration { ContinuousClock.now - origin }

    package func wait(on condition: NSCondition, until deadline: Duration?) {
        guard let deadline else {
            condition.wait()
            return
        }
        let remaining = (deadline - now).seconds
        if remaining > 0 { _ = condition.wait(until: Date(timeIntervalSinceNow: remaining)) }
    }
}
