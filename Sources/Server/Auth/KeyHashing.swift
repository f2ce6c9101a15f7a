import COpenSSL
import Foundation

/// The cryptography of API keys: random keys and salts from OpenSSL's CSPRNG, the stored digest
/// (HMAC-SHA-256 of the key under a per-key random salt), and a comparison whose time does not
/// depend on where two digests differ.
package enum KeyHashing {
    /// What every generated key starts with, so a leaked one is easy to recognise.
    package static let keyPrefix = "lms_"

    /// `count` bytes from `RAND_bytes`.
    ///
    /// - Throws: `KeysFileError.randomness` if OpenSSL's generator is not seeded.
    package static func randomBytes(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let ok = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
        guard ok == 1 else { throw KeysFileError.randomness }
        return bytes
    }

    /// A new key: the prefix and 32 random bytes in unpadded base64url (256 bits).
    package static func newKey() throws -> String {
        let encoded = Data(try randomBytes(32)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return keyPrefix + encoded
    }

    /// HMAC-SHA-256 of `key` under `salt`: what the keys file stores instead of the key.
    package static func digest(of key: String, salt: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let message = Array(key.utf8)
        _ = salt.withUnsafeBytes { s in
            message.withUnsafeBytes { m in
                HMAC(EVP_sha256(), s.baseAddress, Int32(s.count), m.bindMemory(to: UInt8.self).baseAddress, m.count, &out, &length)
            }
        }
        return Array(out.prefix(Int(length)))
    }

    /// Whether `a` and `b` are equal, looking at every byte whatever the first difference: the
    /// time taken tells an attacker nothing about how much of a guessed digest was right.
    /// Lengths are public (every digest is 32 bytes), so unequal lengths return at once.
    package static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func bytes(hex: String) -> [UInt8]? {
        let utf8 = Array(hex.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let h = hexDigit(utf8[i]), let l = hexDigit(utf8[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }

    private static func hexDigit(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x61...0x66: b - 0x61 + 10
        case 0x41...0x46: b - 0x41 + 10
        default: nil
        }
    }
}
