import LMCore
import Logging

/// An LSTM in a safetensors file (F32, F16 or BF16), with its vocabulary in the metadata.
///
/// Recognised by the `.safetensors` extension or by the layout's start: an 8-byte
/// little-endian header length, then the JSON header's `{`.
package struct SafetensorsFormat: ModelFormat {
    package init() {}

    package var name: String { "safetensors" }

    package func recognizes(path: String, header: [UInt8]) -> Bool {
        path.hasSuffix(".safetensors") || (header.count >= 9 && header[8] == UInt8(ascii: "{"))
    }

    package func load(path: String, logger: Logger) throws -> any LanguageModel {
        try LSTMModel.load(path: path, logger: logger)
    }
}
