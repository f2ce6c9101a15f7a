#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Owns one socket descriptor: the only holder of its number, the only one to close it, and it
/// lends the number only inside closures, under a lock, so no call can race the close.
final class Socket: Sendable {
    /// The descriptor, or -1 once closed.
    private let fd: Mutex<Int32>

    /// Takes ownership of `descriptor`.
    init(descriptor: Int32) {
        self.fd = Mutex(descriptor)
    }

    deinit {
        assert(fd.withLock { $0 } < 0, "Socket was never closed")
    }

    /// Whether `close()` has not run yet.
    var isOpen: Bool { fd.withLock { $0 >= 0 } }

    /// Lends the descriptor to `body` (holding the lock, so `close` waits); fails with EBADF
    /// after close. Callers must not keep or close the number.
    func withDescriptor<T: Sendable>(_ body: (Int32) throws(SocketError) -> T) throws(SocketError) -> T {
        try fd.withLock { (fd: inout Int32) throws(SocketError) -> T in
            guard fd >= 0 else { throw SocketError(call: "withDescriptor", errno: EBADF) }
            return try body(fd)
        }
    }

    /// Closes the descriptor (idempotent). `close(2)`.
    func close() {
        fd.withLock { fd in
            guard fd >= 0 else { return }
            Syscalls.close(fd)
            fd = -1
        }
    }

    /// Sets `TCP_NODELAY` so small responses are not held for a delayed ACK.
    func setNoDelay() throws(SocketError) {
        try withDescriptor { fd throws(SocketError) in try Syscalls.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1) }
    }

    /// One non-blocking `read(2)` into `buffer`; `.done(0)` is end of stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SocketError) -> IOResult<Int> {
        try withDescriptor { fd throws(SocketError) in try Syscalls.read(fd, buffer) }
    }

    /// One non-blocking `writev(2)` of `count` iovecs.
    func writev(_ iov: UnsafePointer<iovec>, _ count: Int32) throws(SocketError) -> IOResult<Int> {
        try withDescriptor { fd throws(SocketError) in try Syscalls.writev(fd, iov, count) }
    }

    /// Half-closes our sending side (`shutdown(2)` with `SHUT_WR`); a no-op once closed.
    func shutdownWrite() {
        _ = try? withDescriptor { fd throws(SocketError) in Syscalls.shutdown(fd, Int32(SHUT_WR)) }
    }
}

extension Socket {
    /// A peer address as its IP ("unknown" for other families) and "ip:port" ("[ip]:port" for IPv6).
    static func describe(_ storage: UnsafePointer<sockaddr_storage>) -> (host: String, remote: String) {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var port: UInt16 = 0
        let family = Int32(storage.pointee.ss_family)
        storage.withMemoryRebound(to: UInt8.self, capacity: MemoryLayout<sockaddr_storage>.size) { raw in
            if family == AF_INET {
                raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var a = sin.pointee.sin_addr
                    inet_ntop(AF_INET, &a, &host, socklen_t(host.count))
                    port = UInt16(bigEndian: sin.pointee.sin_port)
                }
            } else if family == AF_INET6 {
                raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin in
                    var a = sin.pointee.sin6_addr
                    inet_ntop(AF_INET6, &a, &host, socklen_t(host.count))
                    port = UInt16(bigEndian: sin.pointee.sin6_port)
                }
            }
        }
        let name = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if name.isEmpty { return ("unknown", "unknown") }
        return (name, family == AF_INET6 ? "[\(name)]:\(port)" : "\(name):\(port)")
    }
}
