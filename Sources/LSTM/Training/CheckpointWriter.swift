import Foundation

/// Writes F32 safetensors files as PyTorch's `safetensors.torch.save_file` lays them out.
///
/// Layout: an 8-byte little-endian header length, a JSON header (`__metadata__` with string
/// values, then per tensor `dtype`, `shape`, `data_offsets` relative to the data section), padded
/// with spaces to a multiple of 8, then the tensors' little-endian bytes in header order (names
/// sorted). Files are written to a temporary name beside the target and renamed into place.
package enum CheckpointWriter {
    /// One tensor to write: its name, row-major shape and `shape.product` floats.
    package struct Tensor {
        package var name: String
        package var shape: [Int]
        package var values: UnsafeBufferPointer<Float>

        package init(name: String, shape: [Int], values: UnsafeBufferPointer<Float>) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// The complete file contents for `tensors` and `metadata` (deterministic: sorted keys).
    /// - Precondition: each tensor's value count equals the product of its shape; names are unique.
    package static func encode(tensors: [Tensor], metadata: [String: String]) -> Data {
        let sorted = tensors.sorted { $0.name < $1.name }
        var entries: [String] = []
        if !metadata.isEmpty {
            let fields = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
        }
        var offset = 0
        for t in sorted {
            precondition(t.values.count == t.shape.reduce(1, *), "tensor \(t.name): shape and value count differ")
            let bytes = t.values.count * 4
            let shape = t.shape.map(String.init).joined(separator: ",")
            entries.append(
                "\(jsonString(t.name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var data = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header)
        for t in sorted {
            #if _endian(little)
            data.append(UnsafeBufferPointer(start: t.values.baseAddress, count: t.values.count))
            #else
            for v in t.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            #endif
        }
        return data
    }

    /// Encodes and writes a safetensors file atomically.
    /// - Throws: `LSTMTrainingError.unwritableOutput` naming `path`.
    package static func write(tensors: [Tensor], metadata: [String: String], to path: String) throws {
        try writeAtomically(encode(tensors: tensors, metadata: metadata), to: path)
    }

    /// Writes the vocabulary sidecar: one token a line, line number − 1 = id.
    /// - Throws: `LSTMTrainingError.unwritableOutput`.
    package static func writeVocabulary(_ words: [String], to path: String) throws {
        try writeAtomically(Data(words.map { $0 + "\n" }.joined().utf8), to: path)
    }

    /// The sidecar path for a model path: `MODEL.safetensors` → `MODEL.vocab.txt` (as the
    /// reference model's `kjv-lstm-2x512.vocab.txt`).
    package static func vocabularyPath(forModel path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let base = url.pathExtension == "safetensors" ? url.deletingPathExtension().path : url.path
        return base + ".vocab.txt"
    }

    /// Writes `data` to a temporary file beside `path`, then renames it over `path`.
    /// - Throws: `LSTMTrainingError.unwritableOutput`.
    package static func writeAtomically(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        do {
            try data.write(to: URL(fileURLWithPath: temporary))
        } catch {
            throw LSTMTrainingError.unwritableOutput(path: path, reason: describe(error))
        }
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw LSTMTrainingError.unwritableOutput(path: path, reason: reason)
        }
    }

    /// A JSON string literal for `s` (quotes, backslashes and control characters escaped).
    package static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    private static func describe(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return ns.localizedDescription
    }
}
