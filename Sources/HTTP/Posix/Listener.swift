#if canImport(Glibc)
import Glibc
#endif

/// A bound, listening, non-blocking TCP socket (IPv4 or IPv6).
final class Listener: Sendable {
    let socket: Socket
    /// The port actually bound (the ephemeral one when asked for port 0).
    let port: Int

    /// Resolves `host` (numeric or name; "::" / "0.0.0.0" for all interfaces), binds `port` with
    /// `SO_REUSEADDR` and listens. `getaddrinfo`, `socket`, `bind`, `listen`, `getsockname`.
    /// - Throws: `SocketError` naming the failed call.
    init(host: String, port: Int, backlog: Int32) throws(SocketError) {
        Syscalls.ignoreSIGPIPE
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
        let socket = Socket(descriptor: try Syscalls.blocking("socket") {
            Glibc.socket(ai.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        })
        do {
            self.port = try socket.withDescriptor { fd throws(SocketError) in
                try Syscalls.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
                _ = try Syscalls.blocking("bind") { Glibc.bind(fd, ai.ai_addr, ai.ai_addrlen) }
                _ = try Syscalls.blocking("listen") { Glibc.listen(fd, backlog) }
                return try Self.localPort(fd)
            }
        } catch {
            socket.close()
            throw error
        }
        self.socket = socket
    }

    /// The port `fd` is bound to. `getsockname(2)`.
    private static func localPort(_ fd: Int32) throws(SocketError) -> Int {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { p throws(SocketError) in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(SocketError) in
                try Syscalls.blocking("getsockname") { getsockname(fd, sa, &len) }
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

    /// Accepts one pending connection; nil when none is waiting. The returned socket owns the
    /// new descriptor. `accept4(2)`.
    func accept() throws(SocketError) -> (socket: Socket, remote: String)? {
        let accepted = try socket.withDescriptor { fd throws(SocketError) -> (Int32, String)? in
            var storage = sockaddr_storage()
            switch try Syscalls.accept(fd, address: &storage) {
            case .wouldBlock: return nil
            case .done(let client): return (client, Socket.describe(&storage))
            }
        }
        return accepted.map { (Socket(descriptor: $0.0), $0.1) }
    }
}
