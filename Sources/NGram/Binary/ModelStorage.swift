/// The bytes of a model image (header + sections), heap-allocated after reading an ARPA file
/// or mapped from a `.lmb` file; freed or unmapped with the last reference.
// @unchecked: the image is never written after construction; readers share it freely.
final class ModelStorage: @unchecked Sendable {
    let base: UnsafeRawPointer
    let size: Int
    let layout: LMBLayout
    private let heap: UnsafeMutableRawPointer?
    private let mapped: MappedFile?

    /// Takes ownership of `heap` (allocated with 64-byte alignment).
    init(heap: UnsafeMutableRawPointer, layout: LMBLayout) {
        self.base = UnsafeRawPointer(heap)
        self.size = layout.totalSize
        self.layout = layout
        self.heap = heap
        self.mapped = nil
    }

    init(mapped: MappedFile, layout: LMBLayout) {
        self.base = mapped.bytes.baseAddress!
        self.size = mapped.bytes.count
        self.layout = layout
        self.heap = nil
        self.mapped = mapped
    }

    deinit { heap?.deallocate() }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }
}

extension NGramBuilder {
    /// Lays the built tables out as one image (the `.lmb` bytes) and returns it.
    func makeImage() -> ModelStorage {
        let vocabTable = vocabularyTable()
        var layout = LMBLayout()
        // The successor lists are built from this image afterwards: it is laid out without them.
        layout.version = 1
        layout.order = counts.count
        layout.sawUnknown = sawUnknown
        layout.vocabularySize = unigrams.count
        layout.beginSentence = beginSentence
        layout.endSentence = endSentence
        layout.vocabBuckets = vocabTable.count
        layout.tableBuckets = tables.map(\.buckets)
        layout.tableCounts = tables.map(\.count)
        layout.declaredCounts = counts
        layout.place(stringBlobSize: wordBlob.count)

        let image = UnsafeMutableRawPointer.allocate(byteCount: layout.totalSize, alignment: 64)
        image.initializeMemory(as: UInt8.self, repeating: 0, count: layout.totalSize)
        func copy<T>(_ array: [T], to offset: Int) {
            array.withUnsafeBytes { src in
                if let s = src.baseAddress { (image + offset).copyMemory(from: s, byteCount: src.count) }
            }
        }
        copy(vocabTable, to: layout.vocabTableOffset)
        copy(unigrams, to: layout.unigramOffset)
        copy(wordOffsets, to: layout.stringOffsetsOffset)
        copy(wordBlob, to: layout.stringBlobOffset)
        for (i, t) in tables.enumerated() { copy(t.entries, to: layout.tableOffsets[i]) }

        layout.seal(image)
        return ModelStorage(heap: image, layout: layout)
    }
}
