/// How loading treats recoverable oddities in an ARPA file, after KenLM's `Config`.
package struct NGramConfig: Sendable {
    /// What to do about one kind of oddity.
    package enum Policy: String, Sendable {
        /// Reject the file with an `ARPAError`.
        case fail
        /// Log a warning and go on with KenLM's substitute.
        case warn
        /// Go on with KenLM's substitute, saying nothing.
        case silent
    }

    /// A positive log10 probability: `warn`/`silent` store it as 0 (KenLM's default is to fail).
    package var positiveLogProbability: Policy = .fail
    /// No `<unk>` unigram: `warn`/`silent` give `<unk>` `unknownLog10Prob` (KenLM: warn).
    package var missingUnknown: Policy = .warn
    /// The log10 probability `<unk>` gets when the file has none (KenLM: -100).
    package var unknownLog10Prob: Float = -100
    /// No `<s>` or `</s>` unigram: `warn`/`silent` treat the marker as `<unk>` (KenLM: fail).
    package var missingSentenceMarker: Policy = .fail
    /// Check the whole payload's CRC-32 when opening a `.lmb` file (touches every page once).
    package var verifyChecksum: Bool = true

    package init() {}
}
