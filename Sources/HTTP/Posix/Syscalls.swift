#if canImport(Glibc)
import Glibc
#endif
import CShims

/// The result of a non-blocking call: a value, or "try again when the descriptor is ready".
enum IOResult<T> {
    case done(T)
    case wouldBlock
}

/// The only place the HTTP module calls socket syscalls.
///
/// Every wrapper retries `EINTR`, returns `EAGAIN`/`EWOULDBLOCK` as `.wouldBlock`, stops on
/// `EBADF`/`EFAULT` (only a bug can cause those) and throws `SocketError` for anything else.
enum Syscalls {
    /// Runs `body` until it stops failing with EINTR; maps EAGAIN to `.wouldBlock`.
    @inline(__always)
    static func retrying<T: BinaryInteger>(_ call: StaticString, _ body: () -> T) throws(SocketError) -> IOResult<T> {
        while true {
            let r = body()
            if r >= 0 { return .done(r) }
            let e = Glibc.errno
            switch e {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case EBADF, EFAULT: preconditionFailure("\(call): errno \(e) means a descriptor bug")
            default: throw SocketError(call: "\(call)", errno: e)
            }
        }
    }

    /// Like `retrying`, for calls that never legitimately block.
    static func blocking<T: BinaryInteger>(_ call: StaticString, _ body: () -> T) throws(SocketError) -> T {
        switch try retrying(call, body) {
        case .done(let v): return v
        case .wouldBlock: throw SocketError(call: "\(call)", errno: EAGAIN)
        }
    }

    /// `read(2)` into a raw buffer. `.done(0)` is end of stream.
    static func read(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) throws(SocketError) -> IOResult<Int> {
        try retrying("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// `writev(2)` of up to `count` iovecs.
    static func writev(_ fd: Int32, _ iov: UnsafePointer<iovec>, _ count: Int32) throws(SocketError) -> IOResult<Int> {
        try retrying("writev") { Glibc.writev(fd, iov, count) }
    }

    /// `write(2)` of a raw buffer.
    static func write(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(SocketError) -> IOResult<Int> {
        try retrying("write") { Glibc.write(fd, buffer.baseAddress, buffer.count) }
    }

    /// `accept4(2)` with `SOCK_NONBLOCK | SOCK_CLOEXEC`; `.wouldBlock` when the queue is empty.
    static func accept(_ fd: Int32, address: UnsafeMutablePointer<sockaddr_storage>) throws(SocketError) -> IOResult<Int32> {
        var len = UInt32(MemoryLayout<sockaddr_storage>.size)
        return try retrying("accept4") { lmserve_accept4(fd, address, &len) }
    }

    /// `setsockopt(2)` for an `Int32` option.
    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) throws(SocketError) {
        var v = value
        _ = try blocking("setsockopt") {
            Glibc.setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// `close(2)`. EINTR is ignored: on Linux the descriptor is released anyway.
    static func close(_ fd: Int32) {
        let r = Glibc.close(fd)
        if r < 0 && Glibc.errno == EBADF { preconditionFailure("close: EBADF on \(fd)") }
    }

    /// `shutdown(2)`; errors (e.g. ENOTCONN after a reset) are irrelevant to callers.
    static func shutdown(_ fd: Int32, _ how: Int32) {
        _ = Glibc.shutdown(fd, how)
    }

    /// `epoll_ctl(2)` via the CShims flat-record wrapper.
    static func epollControl(_ epfd: Int32, _ op: Int32, _ fd: Int32, _ events: UInt32) throws(SocketError) {
        _ = try blocking("epoll_ctl") { lmserve_epoll_ctl(epfd, op, fd, events, UInt64(UInt32(bitPattern: fd))) }
    }

    /// Ignores SIGPIPE process-wide (as NIO does on Linux) so a write to a closed peer returns EPIPE.
    static let ignoreSIGPIPE: Void = {
        _ = Glibc.signal(SIGPIPE, SIG_IGN)
    }()
}

/// epoll constants (Linux ABI).
enum Epoll {
    static let readable: UInt32 = 0x001
    static let writable: UInt32 = 0x004
    static let error: UInt32 = 0x008
    static let hangup: UInt32 = 0x010
    static let readHangup: UInt32 = 0x2000
    static let add: Int32 = 1
    static let delete: Int32 = 2
    static let modify: Int32 = 3
}
