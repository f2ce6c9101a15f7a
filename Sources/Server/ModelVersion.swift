import COpenSSL
import Foundation

/// Which bytes a loaded model came from: the SHA-256 of its file and the file's modification
/// time. `id` (`"3f2a9c1b7d4e-1733462400"`: the hash's first 12 hex digits, then the mtime in
/// unix seconds) is what `/v1/models`, `lmserve_model_info{version}` and the request log's
/// `model_version` column carry.
package struct ModelVersion: Sendable, Equatable {
    /// Lowercase hex SHA-256 of the file's content.
    package var sha256: String
    /// The file's modification time, unix seconds.
    package var modified: Double
    package var size: Int

    package var id: String { "\(sha256.prefix(12))-\(Int(modified))" }

    package init(sha256: String, modified: Double, size: Int) {
        self.sha256 = sha256
        self.modified = modified
        self.size = size
    }

    /// The hex SHA-256 of `text` (an ensemble's version hashes its members' versions).
    package static func sha256(of text: String) -> String {
        let context = EVP_MD_CTX_new()
        defer { EVP_MD_CTX_free(context) }
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
        let bytes = Array(text.utf8)
        EVP_DigestUpdate(context, bytes, bytes.count)
        return hex(finishing: context)
    }

    private static func hex(finishing context: OpaquePointer?) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }

    /// Hashes the file at `path` (read in 1 MiB blocks).
    ///
    /// - Throws: `ModelFileError` naming the file.
    package init(file path: String) throws {
        let stamp = try ModelFileStamp(path: path)
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ModelFileError(path: path, reason: "cannot be opened for reading")
        }
        defer { try? handle.close() }
        guard let context = EVP_MD_CTX_new() else { throw ModelFileError(path: path, reason: "cannot start a SHA-256") }
        defer { EVP_MD_CTX_free(context) }
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
        while true {
            let block: Data
            do { block = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw ModelFileError(path: path, reason: "cannot be read: \(error.localizedDescription)")
            }
            if block.isEmpty { break }
            _ = block.withUnsafeBytes { EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        }
        sha256 = Self.hex(finishing: context)
        modified = stamp.modified
        size = stamp.size
    }
}

/// A model file's modification time and size: what `--watch` polls before hashing.
package struct ModelFileStamp: Sendable, Equatable {
    package var modified: Double
    package var size: Int

    package init(modified: Double, size: Int) {
        self.modified = modified
        self.size = size
    }

    /// - Throws: `ModelFileError` when the path is missing, not a regular file, or empty.
    package init(path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ModelFileError(path: path, reason: String(cString: strerror(errno)))
        }
        // Only regular files: a device (/dev/zero), a FIFO or a directory would never load, and
        // /proc's files report size 0.
        guard info.st_mode & S_IFMT == S_IFREG else { throw ModelFileError(path: path, reason: "is not a regular file") }
        guard info.st_size > 0 else { throw ModelFileError(path: path, reason: "is empty") }
        guard access(path, R_OK) == 0 else { throw ModelFileError(path: path, reason: "is not readable") }
        modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        size = Int(info.st_size)
    }
}

/// A model path that cannot be loaded, found before loading.
package struct ModelFileError: Error, CustomStringConvertible, Equatable {
    package var path: String
    package var reason: String
    package var description: String { "model file \(path) \(reason)" }
}
