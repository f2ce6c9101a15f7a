/// A word's index in an N-gram model's vocabulary (KenLM's `WordIndex`).
///
/// Ids follow the order of the ARPA unigram section, with `<unk>` always 0.
package typealias WordID = UInt32

extension WordID {
    /// The id of `<unk>`, which every out-of-vocabulary word maps to.
    package static let unknownWord: WordID = 0
}
