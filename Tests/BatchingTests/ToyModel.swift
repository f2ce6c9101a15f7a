import Foundation
import LMCore
import SchedulerTesting

/// A hand-made bigram model over five tokens, for driving the scheduler in tests.
///
/// Ids: 0 `</s>`, 1 `<unk>`, 2 `a`, 3 `b`, 4 `<s>`. p(next | previous) comes from a fixed table,
/// so every score is known exactly. A gate can hold the engine inside a step.
final class ToyModel: LanguageModel, @unchecked Sendable {  // tables immutable; the step count guarded by `lock`
    typealias State = TokenID

    let vocabulary = Vocabulary(words: ["</s>", "<unk>", "a", "b", "<s>"], unknown: 1, endOfSentence: 0, beginOfSentence: 4)
    var description: ModelDescription {
        ModelDescription(
            type: "ngram", format: "toy", path: "toy", vocabularySize: 5, parameters: [ModelParameter("order", 2)],
            reportsNGramLength: true, prefersWholeSentenceScoring: true)
    }

    /// Rows: previous token; columns: next token (</s>, <unk>, a, b, <s>).
    static let table: [[Double]] = [
        [0.1, 0.1, 0.4, 0.4, 0],  // after </s> (empty context)
        [0.3, 0.1, 0.3, 0.3, 0],  // after <unk>
        [0.2, 0.1, 0.2, 0.5, 0],  // after a
        [0.4, 0.1, 0.3, 0.2, 0],  // after b
        [0.05, 0.05, 0.6, 0.3, 0],  // after <s>
    ]

    /// When set, each `nextTokenLogProbs` call waits at it for a pass.
    let gate: Gate?
    private let lock = NSLock()
    private var _steps = 0
    var steps: Int { lock.withLock { _steps } }

    init(gate: Gate? = nil) { self.gate = gate }

    func log10p(_ next: TokenID, after previous: TokenID) -> Float {
        Float(log10(Self.table[Int(previous)][Int(next)]))
    }

    func score(sentence words: [Substring], sentenceContext: Bool) -> [TokenScore] {
        var previous: TokenID = sentenceContext ? 4 : 0
        var out: [TokenScore] = []
        for w in words {
            let id = vocabulary.id(of: w) ?? 1
            out.append(TokenScore(id: id, log10Prob: log10p(id, after: previous), ngramLength: 2, isOOV: id == 1))
            previous = id
        }
        if sentenceContext { out.append(TokenScore(id: 0, log10Prob: log10p(0, after: previous), ngramLength: 2, isOOV: false)) }
        return out
    }

    func initialState(sentenceContext: Bool) -> TokenID { sentenceContext ? 4 : 0 }

    func advance(_ states: inout [TokenID], by tokens: [TokenID]) {
        for i in states.indices { states[i] = tokens[i] }
    }

    func nextTokenLogProbs(_ states: [TokenID], into output: UnsafeMutableBufferPointer<Float>) {
        gate?.wait()
        lock.withLock { _steps += 1 }
        for (row, s) in states.enumerated() {
            for next in 0..<5 {
                let p = Self.table[Int(s)][next]
                output[row * 5 + next] = p > 0 ? Float(log(p)) : -.infinity
            }
        }
    }
}
