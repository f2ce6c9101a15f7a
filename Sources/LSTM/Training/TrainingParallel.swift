import Dispatch

/// Splits element-wise work over a few threads.
enum TrainingParallel {
    /// Calls `body` on contiguous, disjoint sub-ranges covering `0..<count`, on up to `workers`
    /// threads, and returns when all are done. Small inputs run inline on the caller's thread.
    static func run(count: Int, workers: Int, minimumPerWorker: Int = 4096, _ body: (Range<Int>) -> Void) {
        let parts = min(max(workers, 1), max(count / max(minimumPerWorker, 1), 1))
        guard parts > 1 else {
            body(0..<count)
            return
        }
        let step = (count + parts - 1) / parts
        withoutActuallyEscaping(body) { escapable in
            let box = UncheckedBox(escapable)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let lower = part * step
                box.value(lower..<min(lower + step, count))
            }
        }
    }

    /// Carries a closure over the unsafe pointers it captures into `concurrentPerform`; the
    /// ranges handed out are disjoint, so no two threads touch the same element.
    // @unchecked: the closure captures raw pointers; each call touches only its own range.
    private struct UncheckedBox: @unchecked Sendable {
        let value: (Range<Int>) -> Void
        init(_ value: @escaping (Range<Int>) -> Void) { self.value = value }
    }
}
