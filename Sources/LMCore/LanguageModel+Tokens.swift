extension LanguageModel {
    /// Looks each word up in `vocabulary`: a word it lacks is `unknown`; such words, and `<unk>`
    /// written literally, are out of vocabulary.
    package func tokens(of words: [Substring], sentenceContext: Bool) -> (ids: [TokenID], oov: [Bool]) {
        var ids: [TokenID] = []
        var oov: [Bool] = []
        ids.reserveCapacity(words.count + 1)
        oov.reserveCapacity(words.count + 1)
        for word in words {
            let id = vocabulary.id(of: word)
            ids.append(id ?? vocabulary.unknown)
            oov.append(id == nil || id == vocabulary.unknown)
        }
        if sentenceContext {
            ids.append(vocabulary.endOfSentence)
            oov.append(false)
        }
        return (ids, oov)
    }
}
