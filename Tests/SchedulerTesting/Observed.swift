import Foundation

/// A value that tests wait on without polling: `await value.until { $0 >= 2 }` returns as soon
/// as an update (or the current value) satisfies the condition.
package final class Observed<Value: Sendable>: @unchecked Sendable {  // state guarded by `lock`
    private let lock = NSLock()
    private var value: Value
    private var waiters: [(condition: (Value) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []

    package init(_ value: Value) { self.value = value }

    package var current: Value { lock.withLock { value } }

    package func update(_ change: (inout Value) -> Void) {
        let ready: [CheckedContinuation<Void, Never>] = lock.withLock {
            change(&value)
            var ready: [CheckedContinuation<Void, Never>] = []
            waiters.removeAll { waiter in
                guard waiter.condition(value) else { return false }
                ready.append(waiter.continuation)
                return true
            }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    package func set(_ newValue: Value) { update { $0 = newValue } }

    /// Returns once the value satisfies `condition`.
    package func until(_ condition: @escaping (Value) -> Bool) async {
        await withCheckedContinuation { continuation in
            let now: Bool = lock.withLock {
                if condition(value) { return true }
                waiters.append((condition, continuation))
                return false
            }
            if now { continuation.resume() }
        }
    }
}
