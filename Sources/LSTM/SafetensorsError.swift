/// What went wrong reading a safetensors file; every case names the file part or tensor at fault.
package enum SafetensorsError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened or mapped (`reason` is the system's message).
    case cannotOpen(path: String, reason: String)
    /// The file is shorter than the 8-byte header length.
    case truncatedHeaderLength(fileSize: Int)
    /// The header length points past the end of the file.
    case headerPastEnd(headerLength: UInt64, fileSize: Int)
    /// The header is not a JSON object of tensor entries.
    case badHeader(String)
    /// One tensor's entry lacks a field or has one of the wrong kind.
    case badEntry(tensor: String, problem: String)
    /// A dtype this reader does not know.
    case unknownDType(tensor: String, dtype: String)
    /// A dtype the reader knows but cannot convert to Float32 (e.g. an integer tensor).
    case unsupportedDType(tensor: String, dtype: String)
    /// The tensor's bytes lie (partly) past the end of the data section: a truncated file.
    case dataPastEnd(tensor: String, end: Int, dataSize: Int)
    /// `data_offsets` disagree with dtype × shape, or begin > end.
    case sizeMismatch(tensor: String, expectedBytes: Int, actualBytes: Int)
    /// Two tensors' byte ranges overlap.
    case overlapping(tensor: String, other: String)
    /// A tensor the model needs is not in the file.
    case missingTensor(String)
    /// A tensor has a shape other than the one the model needs.
    case wrongShape(tensor: String, expected: [Int], actual: [Int])
    /// A `__metadata__` entry is not a string, or cannot be parsed.
    case badMetadata(key: String, problem: String)

    package var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "cannot open safetensors file \(path): \(reason)"
        case let .truncatedHeaderLength(size):
            return "truncated safetensors file: \(size) bytes, less than the 8-byte header length"
        case let .headerPastEnd(length, size):
            return "safetensors header length \(length) runs past the end of the \(size)-byte file"
        case let .badHeader(problem): return "bad safetensors header: \(problem)"
        case let .badEntry(tensor, problem): return "tensor \(tensor): \(problem)"
        case let .unknownDType(tensor, dtype): return "tensor \(tensor): unknown dtype \(dtype)"
        case let .unsupportedDType(tensor, dtype):
            return "tensor \(tensor): dtype \(dtype) is not a float type (F32, F16, BF16, F64)"
        case let .dataPastEnd(tensor, end, dataSize):
            return "tensor \(tensor): data ends at byte \(end) of a \(dataSize)-byte data section (truncated file?)"
        case let .sizeMismatch(tensor, expected, actual):
            return "tensor \(tensor): data_offsets span \(actual) bytes but dtype × shape needs \(expected)"
        case let .overlapping(tensor, other): return "tensor \(tensor): data overlaps tensor \(other)"
        case let .missingTensor(name): return "missing tensor \(name)"
        case let .wrongShape(tensor, expected, actual):
            return "tensor \(tensor): shape \(actual), expected \(expected)"
        case let .badMetadata(key, problem): return "__metadata__[\(key)]: \(problem)"
        }
    }
}
