import LMCore
import LSTM
import NGram

extension ModelFormatRegistry {
    /// Every format `lmserve` loads, in order of precedence; one line per format. Formats told
    /// by their magic bytes come first; ARPA, which claims every file, comes last.
    package static let standard = ModelFormatRegistry([
        LMBFormat(),
        KenLMFormat(.probing),
        KenLMFormat(.trie),
        SafetensorsFormat(),
        ARPAFormat(),
    ])
}
