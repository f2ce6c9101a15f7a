#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory (`mmap`), unmapped when released.
// @unchecked: a read-only mapping (PROT_READ), immutable after init.
package final class MappedFile: @unchecked Sendable {
    /// The mapped bytes; valid while this object lives.
    package let bytes: UnsafeRawBufferPointer
    private let mapped: Bool

    /// Maps `path`; `populate` pre-faults every page (`MAP_POPULATE` on Linux).
    /// - Throws: `MappedFileError` naming the path and the failing call.
    package init(path: String, populate: Bool = false) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw MappedFileError(path: path, call: "open", errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw MappedFileError(path: path, call: "fstat", errno: errno) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw MappedFileError(path: path, call: "open (not a regular file)", errno: EISDIR)
        }
        let size = Int(st.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            mapped = false
            return
        }
        var flags = MAP_PRIVATE
        #if os(Linux)
        if populate { flags |= MAP_POPULATE }
        #endif
        let p = mmap(nil, size, PROT_READ, flags, fd, 0)
        guard let p, p != MAP_FAILED else { throw MappedFileError(path: path, call: "mmap", errno: errno) }
        bytes = UnsafeRawBufferPointer(start: p, count: size)
        mapped = true
    }

    deinit {
        if mapped, let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}

/// A system call on a model or input file failed.
package struct MappedFileError: Error, Sendable, Equatable, CustomStringConvertible {
    package var path: String
    package var call: String
    package var errno: Int32

    /// The failure without the path: `open failed: No such file or directory`.
    package var reason: String { "\(call) failed: \(String(cString: strerror(errno)))" }

    package var description: String { "\(path): \(reason)" }
}
