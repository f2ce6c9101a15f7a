#if canImport(Glibc)
import Glibc
#endif

/// A failed socket or event-loop system call: the call's name and its errno.
package struct SocketError: Error, CustomStringConvertible, Sendable {
    /// The C function that failed, e.g. `"bind"`.
    package var call: String
    /// The errno value it left.
    package var errno: Int32
    /// The address the call was about, e.g. `"127.0.0.1:8080"` for a listening socket's `bind`.
    package var address: String?

    package init(call: String, errno: Int32, address: String? = nil) {
        self.call = call
        self.errno = errno
        self.address = address
    }

    package var description: String {
        let about = address.map { " for \($0)" } ?? ""
        return "\(call) failed\(about): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}
