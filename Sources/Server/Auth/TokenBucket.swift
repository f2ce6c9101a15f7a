import Batching

/// A token bucket: holds up to `capacity`, refills at `ratePerSecond`, and is drawn from by
/// requests (one each) or by the tokens a request used. It may go below zero when a request used
/// more tokens than were left: later requests then wait for the debt to refill.
struct TokenBucket: Sendable, Equatable {
    let capacity: Double
    let ratePerSecond: Double
    private(set) var level: Double
    private(set) var updated: Duration

    /// A full bucket at `now`.
    init(capacity: Double, ratePerSecond: Double, now: Duration) {
        self.capacity = capacity
        self.ratePerSecond = ratePerSecond
        level = capacity
        updated = now
    }

    /// Adds what the time since the last update refilled, up to the capacity.
    mutating func refill(now: Duration) {
        guard now > updated else { return }
        level = min(capacity, level + (now - updated).seconds * ratePerSecond)
        updated = now
    }

    /// Whether at least `amount` is there. A billionth of a unit of slack absorbs rounding: a
    /// bucket refilled for exactly the time it needed (5 tokens at 5/60 per second for 60 s) holds
    /// its amount even when the floating-point sum falls short by an ulp.
    func holds(_ amount: Double) -> Bool { level + 1e-9 >= amount }

    /// Takes `amount` if at least that much is there.
    mutating func take(_ amount: Double, now: Duration) -> Bool {
        refill(now: now)
        guard holds(amount) else { return false }
        level -= amount
        return true
    }

    /// Takes `amount` whatever is left (going into debt).
    mutating func charge(_ amount: Double, now: Duration) {
        refill(now: now)
        level -= amount
    }

    /// Seconds until the bucket holds `amount` again (0 when it does now).
    func secondsUntil(_ amount: Double) -> Double {
        holds(amount) ? 0 : (amount - level) / ratePerSecond
    }

    /// Seconds until the bucket is full again.
    var secondsUntilFull: Double { secondsUntil(capacity) }

    /// Whole units left, never negative.
    var remaining: Int { max(0, Int(level.rounded(.down))) }
}
