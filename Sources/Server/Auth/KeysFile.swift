import Foundation
import HTTP

/// What a key may do; each route needs one (`AccessPolicy.scope(for:)`).
package enum Scope: String, Codable, Sendable, CaseIterable, Comparable {
    /// Perplexity, completions and the model list.
    case infer
    /// Every `/admin/` route.
    case admin
    /// `GET /metrics` (unless `auth.public_metrics`).
    case metrics

    package static func < (a: Scope, b: Scope) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// A key's own rate limits; a limit left out falls back to the server's `rate_limits.*`.
package struct KeyLimits: Codable, Sendable, Equatable {
    package var requestsPerSecond: Double?
    package var burst: Int?
    package var tokensPerMinute: Int?

    package init(requestsPerSecond: Double? = nil, burst: Int? = nil, tokensPerMinute: Int? = nil) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
        self.tokensPerMinute = tokensPerMinute
    }

    enum CodingKeys: String, CodingKey {
        case requestsPerSecond = "requests_per_second", burst, tokensPerMinute = "tokens_per_minute"
    }
}

/// One entry of the keys file: never the key itself, only its salted digest.
package struct StoredKey: Codable, Sendable, Equatable {
    package var name: String
    package var scopes: [Scope]
    /// Hex of the random salt and of `KeyHashing.digest(of: key, salt:)`.
    package var salt: String
    package var digest: String
    /// Seconds since 1970.
    package var created: Double
    package var limits: KeyLimits

    enum CodingKeys: String, CodingKey {
        case name, scopes, salt, digest = "sha256_hmac", created, limits
    }

    /// Whether `key` is this entry's key (constant time in the digest comparison).
    func matches(_ key: String) -> Bool {
        guard let salt = KeyHashing.bytes(hex: salt), let digest = KeyHashing.bytes(hex: digest) else { return false }
        return KeyHashing.constantTimeEqual(KeyHashing.digest(of: key, salt: salt), digest)
    }
}

/// Why the keys file could not be read, written or changed.
package enum KeysFileError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case unwritable(path: String, reason: String)
    case invalidName(String)
    case duplicateName(String)
    case unknownName(String)
    case noScopes
    case invalidLimit(String)
    case randomness

    package var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read keys file \(path): \(reason)"
        case .malformed(let path, let reason): return "keys file \(path) is not valid: \(reason)"
        case .unwritable(let path, let reason): return "cannot write keys file \(path): \(reason)"
        case .invalidName(let name):
            return "key name '\(Truncation.cut(name))' must be 1–64 characters of letters, digits, '.', '_' or '-'"
        case .duplicateName(let name): return "a key named '\(name)' exists already (revoke it first)"
        case .unknownName(let name): return "no key named '\(Truncation.cut(name))'"
        case .noScopes: return "a key needs at least one scope: infer, admin, metrics"
        case .invalidLimit(let message): return message
        case .randomness: return "the system's random number generator failed"
        }
    }
}

/// The keys file: a JSON document `{"keys": [StoredKey…]}`, mode 0600, replaced atomically on
/// every change (a reader sees the old file or the new one, never a half-written one).
package struct KeysFile: Codable, Sendable, Equatable {
    package var keys: [StoredKey] = []

    package init(keys: [StoredKey] = []) { self.keys = keys }

    /// Reads `path`; a file that does not exist reads as no keys when `missingIsEmpty`.
    ///
    /// - Throws: `KeysFileError.unreadable` or `.malformed`.
    package static func load(path: String, missingIsEmpty: Bool = false) throws -> KeysFile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            if missingIsEmpty, !FileManager.default.fileExists(atPath: path) { return KeysFile() }
            throw KeysFileError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        let file: KeysFile
        do { file = try JSONDecoder().decode(KeysFile.self, from: data) } catch {
            throw KeysFileError.malformed(path: path, reason: "\(error)")
        }
        var names = Set<String>()
        for key in file.keys {
            guard Self.isValidName(key.name) else { throw KeysFileError.malformed(path: path, reason: "bad key name '\(Truncation.cut(key.name))'") }
            guard names.insert(key.name).inserted else { throw KeysFileError.malformed(path: path, reason: "key '\(key.name)' appears twice") }
            guard KeyHashing.bytes(hex: key.salt) != nil, KeyHashing.bytes(hex: key.digest)?.count == 32 else {
                throw KeysFileError.malformed(path: path, reason: "key '\(key.name)' has no valid salt and digest")
            }
        }
        return file
    }

    /// Writes the file atomically: a new file with mode 0600 next to `path`, synced, then
    /// renamed over it.
    ///
    /// - Throws: `KeysFileError.unwritable`.
    package func save(path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do { data = try encoder.encode(self) } catch { throw KeysFileError.unwritable(path: path, reason: "\(error)") }
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw KeysFileError.unwritable(path: path, reason: String(cString: strerror(errno))) }
        var failure: String?
        // An existing temporary file keeps its mode through O_CREAT: set it again.
        if fchmod(fd, 0o600) != 0 { failure = String(cString: strerror(errno)) }
        data.withUnsafeBytes { buffer in
            var offset = 0
            while failure == nil, offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                } else {
                    offset += n
                }
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        if failure == nil, rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw KeysFileError.unwritable(path: path, reason: failure)
        }
    }

    /// Reads `path` (none yet reads as empty), applies `change` and writes the file back, holding
    /// an exclusive `flock` on its directory throughout, so two `lmserve keys` runs at once
    /// cannot lose each other's change.
    ///
    /// - Throws: `KeysFileError`, or what `change` throws (nothing is written then).
    package static func update<T>(path: String, _ change: (inout KeysFile) throws -> T) throws -> T {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let fd = open(directory, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw KeysFileError.unwritable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw KeysFileError.unwritable(path: path, reason: String(cString: strerror(errno))) }
        }
        var keys = try load(path: path, missingIsEmpty: true)
        let result = try change(&keys)
        try keys.save(path: path)
        return result
    }

    /// Adds a key named `name` and returns the key itself (the only time it is known).
    ///
    /// - Throws: `KeysFileError` for a bad or taken name, no scopes, or a bad limit.
    package mutating func add(name: String, scopes: [Scope], limits: KeyLimits, now: Date = Date()) throws -> String {
        guard Self.isValidName(name) else { throw KeysFileError.invalidName(name) }
        guard !keys.contains(where: { $0.name == name }) else { throw KeysFileError.duplicateName(name) }
        guard !scopes.isEmpty else { throw KeysFileError.noScopes }
        if let r = limits.requestsPerSecond, !(r > 0 && r.isFinite) {
            throw KeysFileError.invalidLimit("--requests-per-second must be a positive number")
        }
        if let b = limits.burst, b < 1 { throw KeysFileError.invalidLimit("--burst must be at least 1") }
        if let t = limits.tokensPerMinute, t < 1 { throw KeysFileError.invalidLimit("--tokens-per-minute must be at least 1") }
        let key = try KeyHashing.newKey()
        let salt = try KeyHashing.randomBytes(16)
        keys.append(
            StoredKey(
                name: name, scopes: Array(Set(scopes)).sorted(), salt: KeyHashing.hex(salt),
                digest: KeyHashing.hex(KeyHashing.digest(of: key, salt: salt)), created: now.timeIntervalSince1970, limits: limits))
        return key
    }

    /// Removes the key named `name`.
    ///
    /// - Throws: `KeysFileError.unknownName`.
    package mutating func revoke(name: String) throws {
        guard let i = keys.firstIndex(where: { $0.name == name }) else { throw KeysFileError.unknownName(name) }
        keys.remove(at: i)
    }

    /// The entry whose key is `key`. Every entry is checked, whichever matches, so the time
    /// taken does not say which entry (or how much of a digest) a guess came close to.
    package func entry(for key: String) -> StoredKey? {
        var found: StoredKey?
        for entry in keys where entry.matches(key) { found = entry }
        return found
    }

    /// 1–64 of `[A-Za-z0-9._-]`: safe in logs, metric labels and file names.
    package static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { b in
                (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == 0x2E || b == 0x5F
                    || b == 0x2D
            }
    }
}
