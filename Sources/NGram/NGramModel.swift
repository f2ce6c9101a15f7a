import LMCore
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An N-gram language model (order 1–8) with KenLM's probing structure and `query` semantics.
///
/// Immutable and shared across threads; scoring state is the caller's `NGramState`. Loaded
/// from ARPA text (plain or gzip) or from the `.lmb` binary image, which score identically.
package struct NGramModel: Sendable {
    let storage: ModelStorage
    let search: HashedSearch
    package let description: ModelDescription
    package let vocabulary: Vocabulary
    /// The id of `<s>` and of `</s>` (`<unk>` when the file lacked them and policy allowed it).
    package let beginSentence: WordID
    package let endSentence: WordID
    /// Threads `nextTokenLogProbs` spreads a batch's rows over (`using(threads:)`).
    package var threads = 1
    /// Draws next words from the successor lists (nil: from the full distribution).
    let successors: SuccessorSampler<HashedSearch>?

    package var order: Int { search.order }

    /// Whether the file had a `<unk>` unigram.
    package var hadUnknown: Bool { storage.layout.sawUnknown }

    /// Loads a model, choosing the reader by the file's first bytes: `.lmb` magic → binary
    /// (mmap), anything else → ARPA (gzip recognised by magic).
    /// - Throws: `ARPAError`, `LMBError` or `MappedFileError`, each naming the file.
    package static func load(path: String, config: NGramConfig = NGramConfig(), logger: Logger) throws -> NGramModel {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch let e as MappedFileError {
            throw ARPAError.unreadable(file: path, reason: e.reason)
        }
        if file.bytes.count >= 8 && Array(file.bytes.prefix(8)) == LMBLayout.magic {
            return try loadBinary(path: path, config: config)
        }
        return try loadARPA(path: path, config: config, logger: logger)
    }

    /// Reads an ARPA file (plain or gzip).
    package static func loadARPA(path: String, config: NGramConfig = NGramConfig(), logger: Logger) throws -> NGramModel {
        // The text is released before the image is laid out, to keep the peak memory down.
        var builder = try { () throws -> NGramBuilder in
            let text = try InputBytes.read(path: path)
            var builder = NGramBuilder(file: path, config: config, logger: logger)
            try text.withUnsafeBufferPointer { p in
                try builder.read(UnsafeBufferPointer(rebasing: p.dropLast()))
            }
            return builder
        }()
        let storage = builder.makeImage()
        let index = SuccessorIndex(builder: builder, search: HashedSearch(storage: storage), beginSentence: storage.layout.beginSentence)
        builder = NGramBuilder(file: path, config: config, logger: logger)
        return try NGramModel(storage: storage, path: path, format: ARPAFormat().name, successors: index)
    }

    /// Maps a `.lmb` file and checks its header (and, per `config`, its payload checksum).
    package static func loadBinary(path: String, config: NGramConfig = NGramConfig()) throws -> NGramModel {
        let file = try MappedFile(path: path, populate: true)
        let layout = try LMBLayout.decode(file.bytes, path: path)
        if config.verifyChecksum {
            let crc = LMBLayout.crc(file.bytes.baseAddress! + LMBLayout.headerSize, layout.totalSize - LMBLayout.headerSize)
            guard crc == layout.payloadCRC else { throw LMBError.corrupt(file: path, what: "payload checksum mismatch") }
        }
        let storage = ModelStorage(mapped: file, layout: layout)
        let index = layout.hasSuccessors ? try SuccessorIndex(mapped: storage, path: path) : nil
        return try NGramModel(storage: storage, path: path, format: LMBFormat().name, successors: index)
    }

    init(storage: ModelStorage, path: String, format: String, successors index: SuccessorIndex? = nil) throws {
        self.storage = storage
        let search = HashedSearch(storage: storage)
        self.search = search
        successors = index.map { SuccessorSampler(search: search, index: $0, beginSentence: storage.layout.beginSentence) }
        let l = storage.layout
        beginSentence = l.beginSentence
        endSentence = l.endSentence
        // Word strings: offsets must rise within the blob (checked: the payload CRC is optional).
        let offsets = (storage.base + l.stringOffsetsOffset).assumingMemoryBound(to: UInt64.self)
        let blob = (storage.base + l.stringBlobOffset).assumingMemoryBound(to: UInt8.self)
        var words: [String] = []
        words.reserveCapacity(l.vocabularySize)
        var previous: UInt64 = 0
        for i in 0..<l.vocabularySize {
            let end = offsets[i + 1]
            guard offsets[i] == previous, end >= previous, end <= UInt64(l.stringBlobSize) else {
                throw LMBError.corrupt(file: path, what: "word table")
            }
            words.append(String(decoding: UnsafeBufferPointer(start: blob + Int(previous), count: Int(end - previous)), as: UTF8.self))
            previous = end
        }
        // Ids in the vocabulary table index the unigram array: check them once.
        let vocabTable = (storage.base + l.vocabTableOffset).assumingMemoryBound(to: VocabEntry.self)
        for i in 0..<l.vocabBuckets where vocabTable[i].hash != 0 && Int(vocabTable[i].id) >= l.vocabularySize {
            throw LMBError.corrupt(file: path, what: "vocabulary table")
        }
        vocabulary = Vocabulary(
            words: words, unknown: WordID.unknownWord, endOfSentence: l.endSentence,
            beginOfSentence: l.beginSentence == WordID.unknownWord ? nil : l.beginSentence)
        description = ModelDescription(
            type: "ngram", format: format, path: path, vocabularySize: l.vocabularySize,
            parameters: [ModelParameter("order", l.order)], reportsNGramLength: true, prefersWholeSentenceScoring: true)
    }

    /// The n-gram counts stored per order (order 1 = vocabulary size; higher orders include
    /// the blank entries added for pruned suffixes).
    package var storedCounts: [Int] { [storage.layout.vocabularySize] + storage.layout.tableCounts }

    /// Writes the model as a `.lmb` file (atomically: a temporary file, then rename): the
    /// current version, with the successor lists, when the model has them; else its image as
    /// loaded (a version 1 file stays version 1).
    /// - Throws: `LMBError.cannotWrite`.
    package func writeBinary(to path: String) throws {
        let image = successors.map { Self.imageWithSuccessors(storage, $0.index) }
        defer { image?.deallocate() }
        do throws(FileOutput.Failure) {
            let (fd, temporary) = try FileOutput.createTemporary(beside: path)
            do throws(FileOutput.Failure) {
                if let image {
                    try FileOutput.writeAll(fd, UnsafeRawPointer(image.baseAddress!), count: image.count)
                } else {
                    try FileOutput.writeAll(fd, storage.base, count: storage.size)
                }
            } catch {
                close(fd)
                unlink(temporary)
                throw error
            }
            try FileOutput.commit(fd, temporary: temporary, to: path)
        } catch {
            throw LMBError.cannotWrite(file: path, reason: error.reason)
        }
    }

    /// The version 2 image: `storage`'s sections, then the successor lists; new checksums.
    private static func imageWithSuccessors(_ storage: ModelStorage, _ index: SuccessorIndex) -> UnsafeMutableRawBufferPointer {
        var layout = storage.layout
        layout.version = LMBLayout.version
        layout.successorEntries = index.entries.count
        layout.successorUnigrams = index.unigrams.count
        layout.place(stringBlobSize: storage.layout.stringBlobSize)
        let image = UnsafeMutableRawBufferPointer.allocate(byteCount: layout.totalSize, alignment: 64)
        image.initializeMemory(as: UInt8.self, repeating: 0)
        let base = image.baseAddress!
        let sections = LMBLayout.headerSize..<storage.layout.totalSize
        (base + sections.lowerBound).copyMemory(from: storage.base + sections.lowerBound, byteCount: sections.count)
        func copy<T>(_ p: UnsafeBufferPointer<T>, to offset: Int) {
            if let s = p.baseAddress { (base + offset).copyMemory(from: s, byteCount: p.count * MemoryLayout<T>.stride) }
        }
        for m in index.starts.indices {
            copy(index.starts[m], to: layout.successorStartsOffsets[m])
            copy(index.lower[m], to: layout.successorLowerOffsets[m])
        }
        copy(index.entries, to: layout.successorEntriesOffset)
        copy(index.unigrams, to: layout.successorUnigramsOffset)
        layout.seal(base)
        return image
    }
}
