#if canImport(Glibc)
import Glibc
#endif
import CShims
import Dispatch
import Foundation

/// Something a loop calls when its descriptor is ready. Called on the loop thread only.
protocol EventHandler: AnyObject {
    /// `events` is the epoll mask (`Epoll.readable`, `.writable`, `.error`, `.hangup`, ...).
    func handleEvent(_ events: UInt32)
}

/// One thread running `epoll_wait` over many descriptors, plus a job queue and the timers of
/// whoever uses it (`runTimers`): it sleeps until the next event, job or deadline, never on a
/// fixed tick.
///
/// It is also a `TaskExecutor`: a connection's Swift `Task` is started with this loop as its
/// executor preference, so the connection's state is only ever touched from this one thread and
/// a request/response round trip needs no thread hop. Work submitted after the loop stopped runs
/// on a global Dispatch queue so that no job is ever lost.
final class EventLoop: TaskExecutor, @unchecked Sendable {
    private enum Work: @unchecked Sendable {  // a closure or job handed to the loop thread once, under `lock`
        case closure(() -> Void)
        case job(UnownedJob)
    }

    /// Position among the server's loops (for logs).
    let index: Int
    private let epfd: Int32
    private let wakeFD: Int32
    private let lock = NSLock()
    // Guarded by `lock`.
    private var queue: [Work] = []
    private var sleeping = false
    private var stopRequested = false
    private var exited = false
    // Loop thread only.
    private var handlers: [Int32: any EventHandler] = [:]
    private var threadID: pthread_t?
    private let finished = DispatchGroup()
    /// Runs work submitted after the loop exited, still one item at a time.
    private let fallback = DispatchQueue(label: "lmserve-http-loop-fallback")
    /// Called on the loop thread after each round of events and jobs: fires the timers that are
    /// due and returns how long the loop may sleep, in milliseconds, before the next one is
    /// (-1: no timer armed). Set before `start()`.
    var runTimers: (() -> Int32)?

    /// Creates the epoll and wake-up descriptors. `epoll_create1`, `eventfd`.
    init(index: Int) throws(SocketError) {
        self.index = index
        epfd = try Syscalls.epollCreate()
        do {
            wakeFD = try Syscalls.eventFD()
        } catch {
            Syscalls.close(epfd)
            throw error
        }
        do {
            try Syscalls.epollControl(epfd, Epoll.add, wakeFD, Epoll.readable)
        } catch {
            Syscalls.close(wakeFD)
            Syscalls.close(epfd)
            throw error
        }
    }

    /// The loop owns `epfd` and `wakeFD` and closes them here, once.
    deinit {
        Syscalls.close(wakeFD)
        Syscalls.close(epfd)
    }

    /// Starts the loop thread.
    func start() {
        finished.enter()
        let thread = Thread { [self] in
            self.threadID = pthread_self()
            self.run()
            self.finished.leave()
        }
        thread.name = "lmserve-http-\(index)"
        thread.start()
    }

    /// Whether the caller runs on this loop's thread.
    var inLoop: Bool {
        guard let t = threadID else { return false }
        return pthread_equal(pthread_self(), t) != 0
    }

    /// Whether the loop thread has exited (work now runs on the fallback queue).
    var hasExited: Bool { lock.withLock { exited } }

    /// Runs `body` on the loop thread soon (never inline).
    func execute(_ body: @escaping @Sendable () -> Void) {
        submit(.closure(body))
    }

    /// Runs `body` now when already on the loop, otherwise schedules it.
    func executeOrRun(_ body: @escaping @Sendable () -> Void) {
        if inLoop { body() } else { submit(.closure(body)) }
    }

    /// Runs `body` on the loop and waits for it.
    func submitAndWait(_ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            execute {
                body()
                c.resume()
            }
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        submit(.job(UnownedJob(job)))
    }

    private func submit(_ work: Work) {
        lock.lock()
        if exited {
            lock.unlock()
            fallback.async { self.perform(work) }
            return
        }
        queue.append(work)
        let wake = sleeping
        sleeping = false
        lock.unlock()
        if wake { Syscalls.eventFDSignal(wakeFD) }
    }

    private func perform(_ work: Work) {
        switch work {
        case .closure(let body): body()
        case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }

    /// Watches `socket` for `events`, calling `handler` on this thread. Loop thread only.
    func register(_ socket: Socket, events: UInt32, handler: any EventHandler) throws(SocketError) {
        let epfd = self.epfd
        let fd = try socket.withDescriptor { fd throws(SocketError) in
            try Syscalls.epollControl(epfd, Epoll.add, fd, events)
            return fd
        }
        handlers[fd] = handler
    }

    /// Changes the watched events of a registered socket. Loop thread only.
    func modify(_ socket: Socket, events: UInt32) {
        let epfd = self.epfd
        _ = try? socket.withDescriptor { fd throws(SocketError) in try Syscalls.epollControl(epfd, Epoll.modify, fd, events) }
    }

    /// Stops watching `socket` (call before closing it). Loop thread only.
    func deregister(_ socket: Socket) {
        let epfd = self.epfd
        guard let fd = try? socket.withDescriptor({ fd throws(SocketError) in fd }) else { return }
        if handlers.removeValue(forKey: fd) != nil {
            try? Syscalls.epollControl(epfd, Epoll.delete, fd, 0)
        }
    }

    /// Asks the loop to exit after its current iteration.
    func stop() {
        lock.lock()
        stopRequested = true
        let wake = sleeping
        sleeping = false
        lock.unlock()
        if wake { Syscalls.eventFDSignal(wakeFD) }
    }

    /// Suspends until the loop thread has exited.
    func waitUntilExited() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            finished.notify(queue: .global()) { c.resume() }
        }
    }

    static func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    private func run() {
        var events = [lmserve_epoll_event](repeating: lmserve_epoll_event(), count: 256)
        var batch: [Work] = []
        var timerWait: Int32 = -1
        while true {
            lock.lock()
            if stopRequested {
                exited = true
                batch = queue
                queue = []
                lock.unlock()
                for work in batch { perform(work) }
                batch = []
                break
            }
            var timeout = timerWait
            if !queue.isEmpty { timeout = 0 } else { sleeping = true }
            lock.unlock()

            let n = events.withUnsafeMutableBufferPointer { Syscalls.epollWait(epfd, $0, timeoutMillis: timeout) }
            lock.lock()
            sleeping = false
            lock.unlock()
            if n > 0 {
                for i in 0..<n {
                    let fd = Int32(truncatingIfNeeded: events[i].data)
                    if fd == wakeFD {
                        Syscalls.eventFDDrain(wakeFD)
                    } else if let h = handlers[fd] {
                        h.handleEvent(events[i].events)
                    }
                }
            }
            lock.lock()
            swap(&batch, &queue)
            lock.unlock()
            for work in batch { perform(work) }
            batch.removeAll(keepingCapacity: true)
            // After the events and jobs, which may have armed timers.
            timerWait = runTimers?() ?? -1
        }
        handlers.removeAll()
    }
}
