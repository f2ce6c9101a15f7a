#if canImport(Glibc)
import Glibc
#endif

/// Owns one socket descriptor; lends it only inside closures and must be closed exactly once.
final class Socket: @unchecked Sendable {
    private var fd: Int32

    /// Takes ownership of `descriptor`.
    init(descriptor: Int32) {
        self.fd = descriptor
    }

    deinit {
        assert(fd < 0, "Socket \(fd) was never closed")
    }

    /// Whether `close()` has run.
    var isOpen: Bool { fd >= 0 }

    /// The descriptor, or -1 once closed. Callers must not close it themselves.
    var descriptor: Int32 { fd }

    /// Lends the descriptor to `body`; fails with EBADF after close.
    func withDescriptor<T>(_ body: (Int32) throws(SocketError) -> T) throws(SocketError) -> T {
        guard fd >= 0 else { throw SocketError(call: "withDescriptor", errno: EBADF) }
        return try body(fd)
    }

    /// Gives up ownership without closing (the descriptor now belongs to someone else).
    func forget() {
        fd = -1
    }

    /// Closes the descriptor (idempotent). `close(2)`.
    func close() {
        guard fd >= 0 else { return }
        Syscalls.close(fd)
        fd = -1
    }

    /// Sets `TCP_NODELAY` so small responses are not held for a delayed ACK.
    func setNoDelay() throws(SocketError) {
        try withDescriptor { fd throws(SocketError) in try Syscalls.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1) }
    }
}

extension Socket {
    /// Formats a peer address as "ip:port" ("[ip]:port" for IPv6).
    static func describe(_ storage: UnsafePointer<sockaddr_storage>) -> String {
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
        if name.isEmpty { return "unknown" }
        return family == AF_INET6 ? "[\(name)]:\(port)" : "\(name):\(port)"
    }
}
