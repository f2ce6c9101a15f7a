#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Runs blocking client code on its own thread so the cooperative pool never blocks.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
        let thread = Thread {
            do { c.resume(returning: try body()) } catch { c.resume(throwing: error) }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

/// Raises the soft descriptor limit to the hard one (for the 1,000-connection test).
func raiseDescriptorLimit() {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}

/// A one-shot signal between the test and a handler, usable from both sides.
final class Gate: @unchecked Sendable {  // a DispatchSemaphore is thread-safe
    private let semaphore = DispatchSemaphore(value: 0)
    func open() { semaphore.signal() }
    /// Waits (blocking) up to 300 s, a hang guard; false on timeout.
    func wait() -> Bool { semaphore.wait(timeout: .now() + 300) == .success }
    func waitAsync() async -> Bool {
        await withCheckedContinuation { c in
            DispatchQueue.global().async { c.resume(returning: self.wait()) }
        }
    }
}
