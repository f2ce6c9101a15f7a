#if canImport(Glibc)
import Glibc
#endif

/// A bound, listening, non-blocking TCP socket (IPv4 or IPv6).
final class Listener: Sendable {
    let socket: Socket
    /// The port actually bound (the ephemeral one when asked for port 0).
    let port: Int

    /// Resolves `host` (numeric or name; "::" / "0.0.0.0" for all interfaces), binds `port` with
    /// `SO_REUSEADDR` and listens (`Syscalls.listen`).
    /// - Throws: `SocketError` naming the failed call.
    init(host: String, port: Int, backlog: Int32) throws(SocketError) {
        Syscalls.ignoreSIGPIPE
        let (fd, bound) = try Syscalls.listen(host: host, port: port, backlog: backlog)
        socket = Socket(descriptor: fd)
        self.port = bound
    }

    /// Accepts one pending connection; nil when none is waiting. The returned socket owns the
    /// new descriptor; `remote` is "ip:port", `host` the IP alone. `accept4(2)`.
    func accept() throws(SocketError) -> (socket: Socket, remote: String, host: String)? {
        let accepted = try socket.withDescriptor { fd throws(SocketError) -> (Int32, String, String)? in
            var storage = sockaddr_storage()
            switch try Syscalls.accept(fd, address: &storage) {
            case .wouldBlock: return nil
            case .done(let client):
                let (host, remote) = Socket.describe(&storage)
                return (client, remote, host)
            }
        }
        return accepted.map { (Socket(descriptor: $0.0), $0.1, $0.2) }
    }
}
