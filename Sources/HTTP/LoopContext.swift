#if canImport(Glibc)
import Glibc
#endif

/// Per-loop state shared by that loop's connections (loop thread only): the connection set, its
/// timers, a read scratch buffer, the cached Date header and the request-id counter.
final class LoopContext: @unchecked Sendable {  // touched only on its loop's thread
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
}
