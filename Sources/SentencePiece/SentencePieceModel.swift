import CSentencePiece
import Foundation
import LMCore

/// Why a SentencePiece model cannot be used; names the file.
package struct SentencePieceError: Error, CustomStringConvertible, Equatable {
    package var file: String
    package var reason: String
    package var description: String { "\(file): cannot load SentencePiece model: \(reason)" }
}

/// A SentencePiece model (`.model`) through the SentencePiece library itself: its normalizer,
/// unigram or BPE segmentation, byte fallback and decoder.
///
/// The processor is immutable after loading and SentencePiece's encode and decode are const, so
/// one model is shared by all threads.
package final class SentencePieceModel: SubwordCodec, @unchecked Sendable {  // immutable C++ processor, const methods only
    private let handle: OpaquePointer
    package let file: String
    package let fileSize: Int
    package let pieceCount: Int
    package var kind: String { "sentencepiece" }

    /// - Throws: `SentencePieceError` naming `path` when it is missing or not a model.
    package init(path: String) throws {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw SentencePieceError(file: path, reason: "no such readable file")
        }
        var error: UnsafeMutablePointer<CChar>?
        guard let h = lmserve_sp_load(path, &error) else {
            let reason = error.map { String(cString: $0) } ?? "unknown error"
            lmserve_sp_free_string(error)
            throw SentencePieceError(file: path, reason: reason)
        }
        handle = h
        file = path
        fileSize = ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int) ?? 0
        pieceCount = Int(lmserve_sp_piece_count(h))
    }

    deinit { lmserve_sp_free(handle) }

    package func encode(_ text: Substring) -> [String] {
        var copy = String(text)
        return copy.withUTF8 { bytes -> [String] in
            // An empty string may have no storage; the library reads no bytes then.
            let empty: [CChar] = [0]
            guard let base = UnsafeRawPointer(bytes.baseAddress)?.assumingMemoryBound(to: CChar.self) else {
                return empty.withUnsafeBufferPointer { encode(pointer: $0.baseAddress!, count: 0) }
            }
            return encode(pointer: base, count: bytes.count)
        }
    }

    private func encode(pointer base: UnsafePointer<CChar>, count byteCount: Int) -> [String] {
        var out: UnsafeMutablePointer<CChar>?
        var length = 0
        var count = 0
        var error: UnsafeMutablePointer<CChar>?
        guard lmserve_sp_encode(handle, base, byteCount, &out, &length, &count, &error) == 0, let out else {
            // Encoding valid UTF-8 does not fail; if the library says otherwise, no pieces.
            lmserve_sp_free_string(error)
            return []
        }
        defer { lmserve_sp_free_string(out) }
        var pieces: [String] = []
        pieces.reserveCapacity(count)
        var at = 0
        while pieces.count < count && at < length {
            let s = String(cString: out + at)
            at += s.utf8.count + 1
            pieces.append(s)
        }
        return pieces
    }

    package func decode(_ pieces: [String]) -> String {
        // All pieces in one buffer; the library gets a pointer and a length for each.
        var joined: [CChar] = []
        var starts: [Int] = []
        var lengths: [Int] = []
        for p in pieces {
            starts.append(joined.count)
            lengths.append(p.utf8.count)
            joined.append(contentsOf: p.utf8.map { CChar(bitPattern: $0) })
            joined.append(0)
        }
        return joined.withUnsafeBufferPointer { buffer -> String in
            let pointers: [UnsafePointer<CChar>?] = starts.map { start in buffer.baseAddress.map { $0 + start } }
            var out: UnsafeMutablePointer<CChar>?
            var length = 0
            var error: UnsafeMutablePointer<CChar>?
            guard lmserve_sp_decode(handle, pointers, lengths, pieces.count, &out, &length, &error) == 0, let out else {
                lmserve_sp_free_string(error)
                return pieces.joined()
            }
            defer { lmserve_sp_free_string(out) }
            return String(decoding: UnsafeRawBufferPointer(start: out, count: length), as: UTF8.self)
        }
    }
}
