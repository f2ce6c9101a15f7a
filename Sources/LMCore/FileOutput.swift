#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The one way the models and trainers write files: whole files go to a temporary name beside
/// their destination and are renamed into place (a reader sees the old file or the new one,
/// never half of one); scratch files for spilled data come from `mkstemp`.
package enum FileOutput {
    /// A system call on a file failed: which one, and `strerror`'s text.
    package struct Failure: Error, CustomStringConvertible, Sendable {
        package let call: String
        /// `strerror`'s text, e.g. "Permission denied".
        package let reason: String
        package var description: String { "\(call): \(reason)" }

        /// The failure of `call` with the current `errno`.
        static func fromErrno(_ call: String) -> Failure {
            Failure(call: call, reason: String(cString: strerror(errno)))
        }
    }

    /// Creates a new, empty file `.NAME.tmp-XXXXXX` beside `path` (the same directory, so the
    /// final rename stays on one file system) with the mode any new file gets, 0666 minus the
    /// umask: the renamed file looks as if it had been written in place. Returns its descriptor,
    /// open for writing, and its path.
    package static func createTemporary(beside path: String) throws(Failure) -> (descriptor: Int32, path: String) {
        let url = URL(fileURLWithPath: path)
        let stem = url.deletingLastPathComponent().path + "/." + url.lastPathComponent + ".tmp-"
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            let candidate = stem + String((0..<6).map { _ in letters.randomElement(using: &generator)! })
            let fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd >= 0 { return (fd, candidate) }
            if errno != EEXIST { throw .fromErrno("open") }
        }
        throw Failure(call: "open", reason: "every temporary name tried exists")
    }

    /// Writes all `count` bytes at `bytes` to `descriptor`, across short writes and EINTR.
    package static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawPointer, count: Int) throws(Failure) {
        var written = 0
        while written < count {
            let n = write(descriptor, bytes + written, min(count - written, 1 << 26))
            if n < 0 {
                if errno == EINTR { continue }
                throw .fromErrno("write")
            }
            written += n
        }
    }

    /// Flushes and closes `descriptor` (from `createTemporary`), then renames `temporary` over
    /// `path`. On failure the temporary file is removed.
    package static func commit(_ descriptor: Int32, temporary: String, to path: String) throws(Failure) {
        // fsync gives EINVAL on files that cannot be synced (some special file systems).
        guard fsync(descriptor) == 0 || errno == EINVAL else {
            let failure = Failure.fromErrno("fsync")
            close(descriptor)
            unlink(temporary)
            throw failure
        }
        guard close(descriptor) == 0 else {
            let failure = Failure.fromErrno("close")
            unlink(temporary)
            throw failure
        }
        try moveIntoPlace(temporary, to: path)
    }

    /// Renames a temporary file (already closed) over `path`; on failure it is removed.
    package static func moveIntoPlace(_ temporary: String, to path: String) throws(Failure) {
        guard rename(temporary, path) == 0 else {
            let failure = Failure.fromErrno("rename")
            unlink(temporary)
            throw failure
        }
    }

    /// Writes `bytes` to `path` atomically, as `createTemporary`, `writeAll` and `commit` do.
    package static func writeFile(_ bytes: UnsafeRawBufferPointer, to path: String) throws(Failure) {
        let (fd, temporary) = try createTemporary(beside: path)
        do {
            if let base = bytes.baseAddress { try writeAll(fd, base, count: bytes.count) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        try commit(fd, temporary: temporary, to: path)
    }

    /// `writeFile(_:to:)` for `Data`.
    package static func writeFile(_ data: Data, to path: String) throws(Failure) {
        let result: Result<Void, Failure> = data.withUnsafeBytes { raw in
            Result { () throws(Failure) in try writeFile(raw, to: path) }
        }
        try result.get()
    }

    /// Creates a new scratch file `DIRECTORY/PREFIX-XXXXXX` (`mkstemp`: mode 0600, only this
    /// user's); returns its descriptor, open for reading and writing, and its path. The caller
    /// removes it.
    package static func createScratch(in directory: String, prefix: String) throws(Failure) -> (descriptor: Int32, path: String) {
        var template = Array((directory + "/" + prefix + "-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .fromErrno("mkstemp") }
        return (fd, template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
    }
}
