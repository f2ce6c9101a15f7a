import Foundation
import LMCore
import Testing
@testable import NGram

/// The KenLM `query` reference on the KJV test set for lmplz's 2-, 3- and 4-gram models, through
/// both formats: every line total and OOV count, the summary, and per-word lengths and
/// probabilities for the first 300 lines.
@Suite struct KJVTests {
    static let models = ["kjv2", "kjv3", "kjv4"]

    @Test(arguments: models, ModelFormat.allCases)
    func matchesKenLMQuery(name: String, format: ModelFormat) throws {
        let model = try ModelCache.model("reference/kenlm/\(name).arpa.gz", format)
        #expect(model.order == Int(name.dropFirst(3))!)
        try QueryReference.check(model, reference: "reference/kenlm/\(name)", tolerance: 1e-5) { $0.id == $1.id }
    }
}
