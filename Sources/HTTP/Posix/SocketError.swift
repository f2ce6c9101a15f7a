#if canImport(Glibc)
import Glibc
#endif

/// A failed socket or event-loop system call: the call's name and its errno.
package struct SocketError: Error, CustomStringConvertible, Sendable {
    /// The C function that failed, e.g. `"bind"`.
    package var call: String
    /// The errno value it left.
    package var errno: Int32

    package init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    package var description: String {
        "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}
