#if canImport(Glibc)
import Glibc
#endif
import CShims

/// The result of a non-blocking call: a value, or "try again when the descriptor is ready".
enum IOResult<T> {
    case done(T)
    case wouldBlock
}

extension IOResult: Sendable where T: Sendable {}

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

    /// A non-blocking listening TCP socket on the first address `host` resolves to, with
    /// `SO_REUSEADDR`; returns the new descriptor (the caller owns it) and the port bound.
    /// `getaddrinfo`, `socket`, `bind`, `listen`, `getsockname`.
    static func listen(host: String, port: Int, backlog: Int32) throws(SocketError) -> (fd: Int32, port: Int) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw SocketError(call: "getaddrinfo(\(host))", errno: rc == EAI_SYSTEM ? Glibc.errno : EINVAL)
        }
        defer { freeaddrinfo(list) }
        let ai = first.pointee
        let fd = try blocking("socket") {
            Glibc.socket(ai.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            _ = try blocking("bind") { Glibc.bind(fd, ai.ai_addr, ai.ai_addrlen) }
            _ = try blocking("listen") { Glibc.listen(fd, backlog) }
            return (fd, try localPort(fd))
        } catch {
            close(fd)
            var named = error
            named.address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            throw named
        }
    }

    /// The port `fd` is bound to. `getsockname(2)`.
    private static func localPort(_ fd: Int32) throws(SocketError) -> Int {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { p throws(SocketError) in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(SocketError) in
                try blocking("getsockname") { getsockname(fd, sa, &len) }
            }
        }
        if Int32(storage.ss_family) == AF_INET6 {
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
        }
        return withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
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

    /// `epoll_create1(2)` with `EPOLL_CLOEXEC`.
    static func epollCreate() throws(SocketError) -> Int32 {
        try blocking("epoll_create1") { lmserve_epoll_create() }
    }

    /// `eventfd(2)`, non-blocking and close-on-exec.
    static func eventFD() throws(SocketError) -> Int32 {
        try blocking("eventfd") { lmserve_eventfd() }
    }

    /// `epoll_wait(2)` into `events`; 0 on EINTR (the caller loops anyway).
    static func epollWait(_ epfd: Int32, _ events: UnsafeMutableBufferPointer<lmserve_epoll_event>, timeoutMillis: Int32) -> Int {
        let n = lmserve_epoll_wait(epfd, events.baseAddress, Int32(events.count), timeoutMillis)
        if n < 0 {
            let e = Glibc.errno
            if e == EBADF || e == EFAULT || e == EINVAL { preconditionFailure("epoll_wait: errno \(e) means a descriptor bug") }
            return 0
        }
        return Int(n)
    }

    /// Adds one to an eventfd counter (wakes its reader); a full counter already means "wake".
    static func eventFDSignal(_ fd: Int32) {
        var one: UInt64 = 1
        _ = try? withUnsafeBytes(of: &one) { (b) throws(SocketError) in try write(fd, b) }
    }

    /// Resets an eventfd counter (consumes the wake-ups).
    static func eventFDDrain(_ fd: Int32) {
        var value: UInt64 = 0
        _ = try? withUnsafeMutableBytes(of: &value) { (b) throws(SocketError) in try read(fd, b) }
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
