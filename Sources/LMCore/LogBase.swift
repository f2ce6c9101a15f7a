import Foundation

/// ln 10, the one constant between the two log bases: N-gram models and reports speak log10,
/// the LSTM and the API's `logprob` natural log (ln x = log10 x · ln 10).
package enum LogBase {
    /// ln 10 (`M_LN10`).
    package static let ln10: Double = M_LN10
    /// ln 10 as a `Float`: log10 → ln for Float scores.
    package static let ln10Float = Float(M_LN10)
    /// 1 / ln 10 as a `Float`: ln → log10 for Float scores (a product, as the models convert).
    package static let inverseLn10Float = Float(1 / M_LN10)
}
