/// Why a KenLM binary file cannot be served; every case names the file.
package enum KenLMError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not readable, or not a file `build_binary` finished writing.
    case unreadable(file: String, reason: String)
    /// Written for another format version, word size or byte order.
    case incompatible(file: String, reason: String)
    /// The header or a section does not hold together (truncated, corrupt or hostile).
    case corrupt(file: String, what: String)
    /// A valid file this reader does not serve (no vocabulary strings, order too high).
    case unsupported(file: String, reason: String)

    package var description: String {
        switch self {
        case .unreadable(let file, let reason): return "\(file): \(reason)"
        case .incompatible(let file, let reason): return "\(file): incompatible KenLM binary: \(reason)"
        case .corrupt(let file, let what): return "\(file): corrupt KenLM binary: \(what)"
        case .unsupported(let file, let reason): return "\(file): unsupported KenLM binary: \(reason)"
        }
    }
}
