/// Per-loop state shared by that loop's connections (loop thread only): the connection set,
/// a read scratch buffer, the cached Date header and the request-id counter.
final class LoopContext: @unchecked Sendable {  // touched only on its loop's thread
    let loop: EventLoop
    unowned let server: ServerCore
    var connections: [ObjectIdentifier: Connection] = [:]
    /// Where every read lands first; only leftovers are copied into a connection's buffer.
    let scratch: UnsafeMutableRawBufferPointer
    private(set) var date: [UInt8] = ResponseEncoder.httpDate()
    private var dateSecond = 0
    private let idPrefix: String
    private var idCounter: UInt64 = 0

    init(loop: EventLoop, server: ServerCore) {
        self.loop = loop
        self.server = server
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        idPrefix = String(UInt32.random(in: 0...UInt32.max) | 0x1000_0000, radix: 16) + String(loop.index, radix: 16)
    }

    deinit {
        scratch.deallocate()
    }

    /// A new unique request id ("<random prefix><loop>-<counter>", hex).
    func nextRequestID() -> String {
        idCounter &+= 1
        return idPrefix + "-" + String(idCounter, radix: 16)
    }

    /// Runs every timer tick: refreshes the Date cache and checks each connection's timeouts.
    func tick() {
        let second = Int(server.clock() / 1_000_000_000)
        if second != dateSecond {
            dateSecond = second
            date = ResponseEncoder.httpDate()
        }
        let now = server.clock()
        for connection in Array(connections.values) { connection.checkTimeouts(now: now) }
    }
}
