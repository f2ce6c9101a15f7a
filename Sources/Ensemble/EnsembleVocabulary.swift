import LMCore

/// The union of the members' vocabularies and how each member's ids map to and from it.
///
/// The union starts with the first member's words in its order, then each later member's new
/// words. The members' `<unk>`, `</s>` and `<s>` all map to the union's own (the first
/// member's spellings, `<s>` from the first member that has one).
struct EnsembleVocabulary: Sendable {
    let union: Vocabulary
    /// `toMember[m][u]`: member m's id for union word u (its `<unk>` when it lacks the word).
    let toMember: [[TokenID]]
    /// `known[m][u]`: whether member m's vocabulary has union word u as a word of its own
    /// (false for `<unk>` and for words it lacks).
    let known: [[Bool]]
    /// `fromMember[m][k]`: the union id of member m's word k.
    let fromMember: [[TokenID]]

    init(_ members: [Vocabulary]) {
        precondition(!members.isEmpty, "an ensemble has members")
        let first = members[0]
        let unk = first[first.unknown]
        let eos = first[first.endOfSentence]
        let bosWord = members.lazy.compactMap { v in v.beginOfSentence.map { v[$0] } }.first
        var words: [String] = []
        var index: [String: TokenID] = [:]
        func add(_ w: String) -> TokenID {
            if let id = index[w] { return id }
            let id = TokenID(words.count)
            words.append(w)
            index[w] = id
            return id
        }
        var fromMember: [[TokenID]] = []
        for v in members {
            var specials: [TokenID: String] = [:]
            if let bos = v.beginOfSentence, let bosWord { specials[bos] = bosWord }
            specials[v.endOfSentence] = eos
            specials[v.unknown] = unk
            fromMember.append(v.words.indices.map { k in add(specials[TokenID(k)] ?? v.words[k]) })
        }
        let unkID = index[unk]!
        union = Vocabulary(
            words: words, unknown: unkID, endOfSentence: index[eos]!, beginOfSentence: bosWord.flatMap { index[$0] })
        var toMember: [[TokenID]] = []
        var known: [[Bool]] = []
        for (m, v) in members.enumerated() {
            var to = [TokenID](repeating: v.unknown, count: words.count)
            var has = [Bool](repeating: false, count: words.count)
            // Lowest member id wins where a member spells a word twice (as `Vocabulary` does).
            for k in stride(from: v.count - 1, through: 0, by: -1) {
                let u = Int(fromMember[m][k])
                to[u] = TokenID(k)
                has[u] = u != Int(unkID)
            }
            toMember.append(to)
            known.append(has)
        }
        self.toMember = toMember
        self.known = known
        self.fromMember = fromMember
    }
}
