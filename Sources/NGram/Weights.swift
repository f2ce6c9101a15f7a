/// The probability and backoff of one n-gram, both log10.
///
/// A backoff whose bit pattern is `-0.0` means "no longer n-gram extends this one" (KenLM's
/// `kNoExtensionBackoff`); `+0.0` means "extends, with backoff zero". Only the sign of zero
/// carries that fact; arithmetic treats both as zero.
package struct Weights: Sendable, Equatable {
    /// log10 p(last word | preceding words).
    package var prob: Float
    /// log10 backoff applied when this n-gram is the context and the longer n-gram is missing.
    package var backoff: Float

    package init(prob: Float, backoff: Float) {
        self.prob = prob
        self.backoff = backoff
    }

    /// The bit pattern of `-0.0`: "no n-gram extends this one".
    static let noExtensionBits: UInt32 = 0x8000_0000

    /// True when some longer n-gram has this one as context (KenLM's `HasExtension`).
    @inline(__always)
    static func hasExtension(_ backoff: Float) -> Bool { backoff.bitPattern != noExtensionBits }

    /// Marks a backoff as "extended" (KenLM's `SetExtension`): `-0.0` becomes `+0.0`.
    @inline(__always)
    static func setExtension(_ backoff: inout Float) {
        if backoff.bitPattern == noExtensionBits { backoff = 0 }
    }
}

/// One slot of an on-disk / in-memory probing hash table (16 bytes).
///
/// `key` 0 marks an empty slot. The highest order leaves `backoff` at `-0.0`.
struct TableEntry: Sendable {
    var key: UInt64
    var prob: Float
    var backoff: Float
}

/// One slot of the vocabulary hash table (16 bytes): word hash → id; `hash` 0 = empty.
struct VocabEntry: Sendable {
    var hash: UInt64
    var id: WordID
    var reserved: UInt32
}
