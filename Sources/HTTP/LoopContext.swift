#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Per-loop state shared by that loop's connections (loop thread only): the connection set, its
/// timers, its idle keep-alive connections, a read scratch buffer, the cached Date header and the
/// request-id counter.
final class LoopContext: @unchecked Sendable {  // touched only on its loop's thread, but `oldestIdleSince` (atomic)
    let loop: EventLoop
    unowned let server: ServerCore
    var connections: [ObjectIdentifier: Connection] = [:]
    /// Where every read lands first; only leftovers are copied into a connection's buffer.
    let scratch: UnsafeMutableRawBufferPointer
    private var cachedDate: [UInt8] = []
    private var dateSecond = -1
    private let idPrefix: String
    private var idCounter: UInt64 = 0

    /// Each connection's one armed timer (stale entries are skipped by generation).
    private var timers = TimerHeap<ObjectIdentifier>()
    private var timerGeneration: UInt64 = 0

    /// Idle keep-alive connections in the order they became idle (a list through
    /// `Connection.idlePrevious/idleNext`): the head has been idle the longest.
    private var idleHead: Connection?
    private var idleTail: Connection?
    /// When the head became idle (clock nanoseconds, at least 1); 0 when none is idle. The
    /// acceptor (loop 0) reads it to pick the loop whose connection has been idle the longest.
    let oldestIdleSince = Atomic<UInt64>(0)

    init(loop: EventLoop, server: ServerCore) {
        self.loop = loop
        self.server = server
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        idPrefix = String(UInt32.random(in: 0...UInt32.max) | 0x1000_0000, radix: 16) + String(loop.index, radix: 16)
    }

    deinit {
        scratch.deallocate()
    }

    /// The Date header value, recomputed when the wall-clock second changes.
    var date: [UInt8] {
        let second = time(nil)
        if second != dateSecond {
            dateSecond = second
            cachedDate = ResponseEncoder.httpDate()
        }
        return cachedDate
    }

    /// A new unique request id ("<random prefix><loop>-<counter>", hex).
    func nextRequestID() -> String {
        idCounter &+= 1
        return idPrefix + "-" + String(idCounter, radix: 16)
    }

    // MARK: Timers

    /// Arms `connection`'s timer at `deadline` (clock nanoseconds), replacing the one it had.
    func armTimer(_ connection: Connection, at deadline: UInt64) {
        timerGeneration &+= 1
        connection.timerGeneration = timerGeneration
        timers.push(.init(deadline: deadline, owner: ObjectIdentifier(connection), generation: timerGeneration))
    }

    /// Fires the connections' due timers (the loop calls it after each round of events and jobs);
    /// returns how long the loop may sleep, in ms (-1: no timer armed).
    func runTimers() -> Int32 {
        let now = server.clock()
        var due: [TimerHeap<ObjectIdentifier>.Entry] = []
        while let entry = timers.popDue(now: now) { due.append(entry) }
        for entry in due {
            // Closed connections are gone from the table; re-armed ones have a newer generation.
            guard let connection = connections[entry.owner], connection.timerGeneration == entry.generation else { continue }
            connection.timerFired(now: now)
        }
        guard let next = timers.earliest else { return server.clockPollMillis ?? -1 }
        let millis = Int32(clamping: next > now ? (next - now + 999_999) / 1_000_000 : 0)
        return server.clockPollMillis.map { min($0, millis) } ?? millis
    }

    // MARK: Idle keep-alive connections

    /// Appends `connection` to the idle list (it became idle at `since`).
    func markIdle(_ connection: Connection, since: UInt64) {
        guard connection.idleSince == 0 else { return }
        connection.idleSince = max(1, since)
        connection.idlePrevious = idleTail
        connection.idleNext = nil
        if let tail = idleTail { tail.idleNext = connection } else { idleHead = connection }
        idleTail = connection
        if idleHead === connection { oldestIdleSince.store(connection.idleSince, ordering: .relaxed) }
    }

    /// Removes `connection` from the idle list (a request started, or it closed).
    func unmarkIdle(_ connection: Connection) {
        guard connection.idleSince != 0 else { return }
        let wasHead = idleHead === connection
        if let previous = connection.idlePrevious { previous.idleNext = connection.idleNext } else { idleHead = connection.idleNext }
        if let next = connection.idleNext { next.idlePrevious = connection.idlePrevious } else { idleTail = connection.idlePrevious }
        connection.idlePrevious = nil
        connection.idleNext = nil
        connection.idleSince = 0
        if wasHead { oldestIdleSince.store(idleHead?.idleSince ?? 0, ordering: .relaxed) }
    }

    /// Closes the connection idle the longest to make room for a new one; false when none is.
    func closeLongestIdle() -> Bool {
        guard let connection = idleHead else { return false }
        server.emit(.idleClosedForRoom(remoteAddress: connection.remote))
        connection.close()
        return true
    }
}
