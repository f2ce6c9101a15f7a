/// Why an ARPA file was rejected; every case names the file and, where there is one, the line.
package enum ARPAError: Error, Sendable, Equatable {
    /// The file could not be read or decompressed.
    case unreadable(file: String, reason: String)
    /// The text is not a valid ARPA model at `line` (1-based).
    case malformed(file: String, line: Int, problem: Problem)

    /// What was wrong at a line.
    package enum Problem: Sendable, Equatable {
        case missingDataHeader
        case badCountLine(String)
        case badOrder(Int)
        case expectedSectionHeader(order: Int, found: String)
        /// The section held fewer n-grams than `\data\` declared (more: `found` > `declared`).
        case countMismatch(order: Int, declared: Int, found: Int)
        case badNumber(String)
        case nanProbability
        case positiveProbability(Float)
        case badBackoff(String)
        case wrongWordCount(order: Int, found: Int)
        case wordNotInUnigrams(word: String, order: Int)
        case missingContext(order: Int, ngram: String)
        case duplicateWord(String)
        case duplicateNGram(String)
        case missingSpecialWord(String)
        case missingEnd
        case unexpectedTextAfterEnd
        case truncated
    }
}

extension ARPAError: CustomStringConvertible {
    package var description: String {
        switch self {
        case .unreadable(let file, let reason): return "\(file): cannot read model: \(reason)"
        case .malformed(let file, let line, let problem): return "\(file):\(line): \(problem)"
        }
    }
}

extension ARPAError.Problem: CustomStringConvertible {
    package var description: String {
        switch self {
        case .missingDataHeader: return "expected the \\data\\ header"
        case .badCountLine(let s): return "expected 'ngram N=count' in \\data\\, found '\(s)'"
        case .badOrder(let n): return "order \(n) is not supported (1 to \(NGramState.maxOrder))"
        case .expectedSectionHeader(let n, let s): return "expected '\\\(n)-grams:', found '\(s)'"
        case .countMismatch(let n, let declared, let found):
            return found > declared
                ? "more \(n)-grams than the \(declared) declared in \\data\\"
                : "\(found) \(n)-grams where \\data\\ declared \(declared)"
        case .badNumber(let s): return "'\(s)' is not a number"
        case .nanProbability: return "the probability is NaN"
        case .positiveProbability(let p): return "positive log10 probability \(p)"
        case .badBackoff(let s): return "bad backoff '\(s)'"
        case .wrongWordCount(let n, let found): return "a \(n)-gram line with \(found) words"
        case .wordNotInUnigrams(let w, let n):
            return "the \(n)-gram contains '\(w)', which is not among the unigrams"
        case .missingContext(let n, let g):
            return "the context of the \(n)-gram '\(g)' does not appear as a \(n - 1)-gram"
        case .duplicateWord(let w): return "the unigram '\(w)' appears twice"
        case .duplicateNGram(let g): return "the n-gram '\(g)' appears twice"
        case .missingSpecialWord(let w): return "the unigrams lack \(w)"
        case .missingEnd: return "expected \\end\\"
        case .unexpectedTextAfterEnd: return "text after \\end\\"
        case .truncated: return "the file ends early (truncated)"
        }
    }
}
