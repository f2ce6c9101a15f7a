import LMCore

/// A KenLM binary file (`build_binary` output) served in place: the file is memory-mapped and
/// its probing tables or bit-packed trie are searched where they lie, so loading costs the
/// header, the vocabulary strings and page faults, not a parse of the n-grams.
///
/// Scores are KenLM `query`'s (`FullScore`), including a quantized file's bin values.
package struct KenLMModel<Search: KenLMSearch>: Sendable {
    /// The mapping the search reads (nil when the caller owns the bytes).
    let file: MappedFile?
    let search: Search
    let lookup: KenLMVocabulary
    package let description: ModelDescription
    package let vocabulary: Vocabulary
    package let beginSentence: WordID
    package let endSentence: WordID
    /// Threads `nextTokenLogProbs` spreads a batch's rows over (`using(threads:)`).
    package var threads = 1

    package var order: Int { search.order }

    init(file: MappedFile?, header: KenLMHeader, search: Search, lookup: KenLMVocabulary, words: [String], path: String, format: String,
         quantization: KenLMQuantization?) {
        self.file = file
        self.search = search
        self.lookup = lookup
        beginSentence = lookup.index("<s>")
        endSentence = lookup.index("</s>")
        vocabulary = Vocabulary(
            words: words, unknown: WordID.unknownWord, endOfSentence: endSentence,
            beginOfSentence: beginSentence == WordID.unknownWord ? nil : beginSentence)
        var parameters = [ModelParameter("order", header.order)]
        if let q = quantization, q.quantized {
            parameters += [ModelParameter("probability_bits", q.probBits), ModelParameter("backoff_bits", q.backoffBits)]
        }
        description = ModelDescription(
            type: "ngram", format: format, path: path, vocabularySize: words.count, parameters: parameters,
            reportsNGramLength: true, prefersWholeSentenceScoring: true)
    }
}

extension KenLMVocabulary {
    @inline(__always)
    func index<S: StringProtocol>(_ word: S) -> WordID {
        if let id = word.utf8.withContiguousStorageIfAvailable({ index(UnsafeRawPointer($0.baseAddress), count: $0.count) }) {
            return id
        }
        var copy = String(word)
        return copy.withUTF8 { index(UnsafeRawPointer($0.baseAddress), count: $0.count) }
    }
}

/// Opens KenLM binary files.
package enum KenLMBinary {
    /// Maps `path` and returns the model with the search its header names.
    /// - Throws: `KenLMError` naming the file.
    package static func load(path: String) throws -> any NGramLanguageModel {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch let e as MappedFileError {
            throw KenLMError.unreadable(file: path, reason: e.reason)
        }
        return try open(KenLMBytes(file.bytes, file: path), mapping: file)
    }

    /// Reads a KenLM binary held in memory (the fuzzer's entry point); `bytes` must outlive
    /// the model.
    /// - Throws: `KenLMError` naming `name`.
    package static func load(bytes: UnsafeRawBufferPointer, name: String) throws -> any NGramLanguageModel {
        try open(KenLMBytes(bytes, file: name), mapping: nil)
    }

    private static func open(_ b: KenLMBytes, mapping file: MappedFile?) throws -> any NGramLanguageModel {
        let path = b.file
        let header = try KenLMHeader.parse(b)
        guard header.hasVocabulary else {
            throw KenLMError.unsupported(
                file: path, reason: "it stores no vocabulary strings (rebuild it with build_binary without -v)")
        }
        let vocabSize = KenLMVocabulary.size(header)
        try b.require(header.size, vocabSize, "the vocabulary table")
        let lookup = try KenLMVocabulary(b, header: header, offset: header.size)
        let searchStart = header.size + vocabSize
        if header.modelType.isTrie {
            let (search, end) = try KenLMTrieSearch.read(b, header: header, offset: searchStart)
            let words = try KenLMVocabulary.readWords(b, offset: end, bound: lookup.bound)
            return KenLMModel(
                file: file, header: header, search: search, lookup: lookup, words: words, path: path, format: "kenlm-trie",
                quantization: search.quantization)
        }
        let size = KenLMProbingSearch.size(header)
        try b.require(searchStart, size, "the n-gram tables")
        let search = KenLMProbingSearch(header: header, base: b.base + searchStart)
        let words = try KenLMVocabulary.readWords(b, offset: searchStart + size, bound: lookup.bound)
        return KenLMModel(
            file: file, header: header, search: search, lookup: lookup, words: words, path: path, format: "kenlm-probing",
            quantization: nil)
    }
}
