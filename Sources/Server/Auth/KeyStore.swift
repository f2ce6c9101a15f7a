import Foundation
import Logging
import Synchronization

/// The keys the server accepts, from the keys file, re-read when the file changes.
///
/// Every lookup `stat`s the file (one system call) and reloads it when its inode, size or
/// modification time moved: `lmserve keys add` and `keys revoke` replace the file by rename, so
/// a change is seen by the next request, without a restart or a timer. A file that turns
/// unreadable or malformed keeps the last good keys in force and is logged once per change.
package final class KeyStore: Sendable {
    private struct Signature: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var seconds: Int
        var nanoseconds: Int
    }

    private struct State {
        var signature: Signature?
        var file: KeysFile
    }

    package let path: String
    private let logger: Logger
    private let state: Mutex<State>

    /// Reads the file once.
    ///
    /// - Throws: `KeysFileError` when it cannot be read or is malformed: a server must not
    ///   start with keys it cannot check.
    package init(path: String, logger: Logger) throws {
        self.path = path
        self.logger = logger
        let signature = Self.signature(of: path)
        let file = try KeysFile.load(path: path)
        state = Mutex(State(signature: signature, file: file))
    }

    /// The current keys, reloaded first if the file changed.
    package var current: KeysFile {
        let now = Self.signature(of: path)
        return state.withLock { state in
            guard now != state.signature else { return state.file }
            state.signature = now
            do {
                state.file = try KeysFile.load(path: path)
                logger.info("keys file reloaded", metadata: ["file": "\(path)", "keys": "\(state.file.keys.count)"])
            } catch {
                logger.error("keys file change ignored; the previous keys stay in force", metadata: ["error": "\(error)"])
            }
            return state.file
        }
    }

    /// The entry whose key is `key`, in the current file.
    package func entry(for key: String) -> StoredKey? { current.entry(for: key) }

    private static func signature(of path: String) -> Signature? {
        var s = stat()
        guard stat(path, &s) == 0 else { return nil }
        #if canImport(Darwin)
        let modified = s.st_mtimespec
        #else
        let modified = s.st_mtim
        #endif
        return Signature(
            device: UInt64(s.st_dev), inode: UInt64(s.st_ino), size: Int64(s.st_size), seconds: Int(modified.tv_sec),
            nanoseconds: Int(modified.tv_nsec))
    }
}
