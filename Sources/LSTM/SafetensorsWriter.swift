import Foundation
import LMCore

/// Writes safetensors files: named Float32 tensors (stored as F32, F16 or BF16) plus string
/// `__metadata__`, in the layout PyTorch's `safetensors.torch.save_file` produces.
package struct SafetensorsWriter {
    /// One tensor to write; `values.count` must equal the product of `shape`.
    package struct Tensor {
        package var name: String
        package var shape: [Int]
        package var values: [Float]
        package var dtype: SafetensorsDType

        package init(name: String, shape: [Int], values: [Float], dtype: SafetensorsDType = .f32) {
            self.name = name
            self.shape = shape
            self.values = values
            self.dtype = dtype
        }
    }

    package var tensors: [Tensor] = []
    package var metadata: [String: String] = [:]

    package init(tensors: [Tensor] = [], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Adds a tensor.
    package mutating func add(_ name: String, shape: [Int], values: [Float], dtype: SafetensorsDType = .f32) {
        tensors.append(Tensor(name: name, shape: shape, values: values, dtype: dtype))
    }

    /// The complete file contents.
    /// - Precondition: each tensor's count matches its shape; dtypes are F32, F16 or BF16.
    package func encoded() -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        let ordered = tensors.sorted { $0.name < $1.name }
        for t in ordered {
            precondition(t.values.count == t.shape.reduce(1, *), "tensor \(t.name): values do not match shape")
            precondition([.f32, .f16, .bf16].contains(t.dtype), "tensor \(t.name): cannot write \(t.dtype.rawValue)")
            let bytes = t.values.count * t.dtype.size
            header[t.name] = ["dtype": t.dtype.rawValue, "shape": t.shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data("{}".utf8)
        // Pad the header with spaces so the data section starts 8-byte aligned.
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for t in ordered {
            switch t.dtype {
            case .f16:
                let bits = t.values.map { SafetensorsDType.floatToHalf($0).littleEndian }
                bits.withUnsafeBytes { out.append(contentsOf: $0) }
            case .bf16:
                let bits = t.values.map { SafetensorsDType.floatToBFloat($0).littleEndian }
                bits.withUnsafeBytes { out.append(contentsOf: $0) }
            default:
                let bits = t.values.map { $0.bitPattern.littleEndian }
                bits.withUnsafeBytes { out.append(contentsOf: $0) }
            }
        }
        return out
    }

    /// Writes the file atomically (`FileOutput`).
    /// - Throws: `FileOutput.Failure`.
    package func write(to path: String) throws {
        try FileOutput.writeFile(encoded(), to: path)
    }
}
