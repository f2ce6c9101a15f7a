import CZlib

/// The `.lmb` binary format: a 512-byte header followed by the model image, byte for byte the
/// layout the model uses in memory, so loading is one `mmap`.
///
/// Sections (offsets from the file start, each 64-byte aligned): the vocabulary hash table
/// (`VocabEntry`), the unigram array (`Weights`, index = word id), word-string offsets
/// (`UInt64` × (V+1)) and bytes, then one probing table (`TableEntry`) per order 2…N.
/// Version 2 adds the successor lists (`SuccessorIndex`) after the tables: per context order
/// 1…N−1 its list starts (`UInt32` × (slots + 1)) and lower masses (`Double` × slots), then
/// the entries (`SuccessorEntry`) and the unigram list. Version 1 files (no lists) still load.
/// All integers are little-endian; the header carries CRC-32s of itself and of the payload.
struct LMBLayout: Equatable {
    static let magic: [UInt8] = Array("LMBNGRAM".utf8)
    /// The version written; `readableVersions` are read.
    static let version: UInt32 = 2
    static let readableVersions: ClosedRange<UInt32> = 1...2
    static let headerSize = 512
    static let byteOrderMark: UInt32 = 0x0102_0304

    var order = 0
    var sawUnknown = false
    var vocabularySize = 0
    var totalSize = 0
    var headerCRC: UInt32 = 0
    var payloadCRC: UInt32 = 0
    var beginSentence: WordID = 0
    var endSentence: WordID = 0
    var vocabTableOffset = 0
    var vocabBuckets = 0
    var unigramOffset = 0
    var stringOffsetsOffset = 0
    var stringBlobOffset = 0
    var stringBlobSize = 0
    /// Per order 2…N (index order − 2): table offset, slot count, and filled slots.
    var tableOffsets: [Int] = []
    var tableBuckets: [Int] = []
    var tableCounts: [Int] = []
    /// The n-gram counts the ARPA `\data\` section declared.
    var declaredCounts: [Int] = []
    /// The file's version (1: no successor lists).
    var version: UInt32 = LMBLayout.version
    /// Successor list sizes (version 2): all entries, and the unigram list.
    var successorEntries = 0
    var successorUnigrams = 0
    /// Per context order 1…N−1: where its list starts and lower masses are (version 2).
    var successorStartsOffsets: [Int] = []
    var successorLowerOffsets: [Int] = []
    var successorEntriesOffset = 0
    var successorUnigramsOffset = 0

    var hasSuccessors: Bool { version >= 2 }

    static func aligned(_ x: Int) -> Int { (x + 63) & ~63 }

    /// Places the sections one after another; sets every offset and `totalSize`.
    mutating func place(stringBlobSize blob: Int) {
        var at = Self.headerSize
        vocabTableOffset = at
        at = Self.aligned(at + vocabBuckets * MemoryLayout<VocabEntry>.stride)
        unigramOffset = at
        at = Self.aligned(at + vocabularySize * MemoryLayout<Weights>.stride)
        stringOffsetsOffset = at
        at = Self.aligned(at + (vocabularySize + 1) * 8)
        stringBlobOffset = at
        stringBlobSize = blob
        at = Self.aligned(at + blob)
        tableOffsets = []
        for b in tableBuckets {
            tableOffsets.append(at)
            at = Self.aligned(at + b * MemoryLayout<TableEntry>.stride)
        }
        successorStartsOffsets = []
        successorLowerOffsets = []
        if hasSuccessors {
            for m in 1..<max(order, 1) {
                let slots = m == 1 ? vocabularySize : tableBuckets[m - 2]
                successorStartsOffsets.append(at)
                at = Self.aligned(at + (slots + 1) * 4)
                successorLowerOffsets.append(at)
                at = Self.aligned(at + slots * 8)
            }
            successorEntriesOffset = at
            at = Self.aligned(at + successorEntries * MemoryLayout<SuccessorEntry>.stride)
            successorUnigramsOffset = at
            at = Self.aligned(at + successorUnigrams * MemoryLayout<SuccessorEntry>.stride)
        }
        totalSize = at
    }

    /// The header bytes (with `headerCRC` as given).
    func encode() -> [UInt8] {
        var w = HeaderWriter()
        w.bytes(Self.magic)
        w.u32(version); w.u32(Self.byteOrderMark); w.u32(UInt32(Self.headerSize))
        w.u32(UInt32(order)); w.u32(sawUnknown ? 1 : 0); w.u32(0)
        w.u64(vocabularySize); w.u64(totalSize)
        w.u32(headerCRC); w.u32(payloadCRC)
        w.u32(beginSentence); w.u32(endSentence)
        w.u64(vocabTableOffset); w.u64(vocabBuckets); w.u64(unigramOffset)
        w.u64(stringOffsetsOffset); w.u64(stringBlobOffset); w.u64(stringBlobSize)
        for i in 0..<7 {
            w.u64(i < tableOffsets.count ? tableOffsets[i] : 0)
            w.u64(i < tableBuckets.count ? tableBuckets[i] : 0)
            w.u64(i < tableCounts.count ? tableCounts[i] : 0)
        }
        for i in 0..<8 { w.u64(i < declaredCounts.count ? declaredCounts[i] : 0) }
        if hasSuccessors {
            w.u64(successorEntries); w.u64(successorUnigrams)
        }
        precondition(w.out.count <= Self.headerSize)
        return w.out + [UInt8](repeating: 0, count: Self.headerSize - w.out.count)
    }

    /// Computes both checksums of the image at `image` (payload laid out) and writes the header.
    mutating func seal(_ image: UnsafeMutableRawPointer) {
        payloadCRC = Self.crc(image + Self.headerSize, totalSize - Self.headerSize)
        var header = encode()
        header.withUnsafeBytes { image.copyMemory(from: $0.baseAddress!, byteCount: Self.headerSize) }
        headerCRC = Self.headerCRC(of: image)
        header = encode()
        header.withUnsafeBytes { image.copyMemory(from: $0.baseAddress!, byteCount: Self.headerSize) }
    }

    /// Offset of `headerCRC` in the header (zeroed while computing it).
    static let headerCRCOffset = 8 + 4 * 6 + 16

    static func crc(_ p: UnsafeRawPointer, _ count: Int) -> UInt32 {
        var c: uLong = crc32(0, nil, 0)
        var at = 0
        while at < count {
            let n = min(count - at, 1 << 30)
            c = crc32(c, p.advanced(by: at).assumingMemoryBound(to: Bytef.self), uInt(n))
            at += n
        }
        return UInt32(truncatingIfNeeded: c)
    }

    static func headerCRC(of header: UnsafeRawPointer) -> UInt32 {
        var copy = [UInt8](UnsafeRawBufferPointer(start: header, count: headerSize))
        for i in 0..<4 { copy[headerCRCOffset + i] = 0 }
        return copy.withUnsafeBytes { crc($0.baseAddress!, headerSize) }
    }

    /// Reads and checks the header of a file of `fileSize` bytes.
    /// - Throws: `LMBError` for a wrong magic, version, byte order, a truncated or damaged file.
    static func decode(_ file: UnsafeRawBufferPointer, path: String) throws -> LMBLayout {
        guard file.count >= headerSize else {
            if file.count >= 8 && Array(file.prefix(8)) == magic {
                throw LMBError.truncated(file: path, expected: headerSize, actual: file.count)
            }
            throw LMBError.notLMB(file: path)
        }
        var r = HeaderReader(base: file.baseAddress!)
        guard r.bytes(8) == magic else { throw LMBError.notLMB(file: path) }
        let version = r.u32()
        guard Self.readableVersions.contains(version) else { throw LMBError.unsupportedVersion(file: path, found: version) }
        guard r.u32() == byteOrderMark else { throw LMBError.corrupt(file: path, what: "byte order mark") }
        guard r.u32() == UInt32(headerSize) else { throw LMBError.corrupt(file: path, what: "header size") }
        var l = LMBLayout()
        l.version = version
        l.order = Int(r.u32())
        l.sawUnknown = r.u32() & 1 != 0
        _ = r.u32()
        l.vocabularySize = r.int()
        l.totalSize = r.int()
        l.headerCRC = r.u32()
        l.payloadCRC = r.u32()
        guard headerCRC(of: file.baseAddress!) == l.headerCRC else {
            throw LMBError.corrupt(file: path, what: "header checksum mismatch")
        }
        guard file.count >= l.totalSize else {
            throw LMBError.truncated(file: path, expected: l.totalSize, actual: file.count)
        }
        guard file.count == l.totalSize else { throw LMBError.corrupt(file: path, what: "trailing bytes after the model") }
        l.beginSentence = r.u32()
        l.endSentence = r.u32()
        l.vocabTableOffset = r.int(); l.vocabBuckets = r.int(); l.unigramOffset = r.int()
        l.stringOffsetsOffset = r.int(); l.stringBlobOffset = r.int(); l.stringBlobSize = r.int()
        for i in 0..<7 {
            let (o, b, c) = (r.int(), r.int(), r.int())
            if i < l.order - 1 {
                l.tableOffsets.append(o); l.tableBuckets.append(b); l.tableCounts.append(c)
            }
        }
        for i in 0..<8 {
            let c = r.int()
            if i < l.order { l.declaredCounts.append(c) }
        }
        if l.hasSuccessors {
            l.successorEntries = r.int()
            l.successorUnigrams = r.int()
        }
        // The header's own checksum passed; recomputing the placement catches any remaining
        // inconsistency (and a writer bug) before a pointer is formed.
        guard l.order >= 1 && l.order <= NGramState.maxOrder, l.vocabularySize >= 1,
            Int(l.beginSentence) < l.vocabularySize, Int(l.endSentence) < l.vocabularySize,
            l.vocabBuckets > l.vocabularySize - 1, l.tableBuckets.allSatisfy({ $0 >= 2 }),
            zip(l.tableCounts, l.tableBuckets).allSatisfy({ $0 < $1 })
        else { throw LMBError.corrupt(file: path, what: "inconsistent header fields") }
        var check = l
        check.place(stringBlobSize: l.stringBlobSize)
        l.successorStartsOffsets = check.successorStartsOffsets
        l.successorLowerOffsets = check.successorLowerOffsets
        l.successorEntriesOffset = check.successorEntriesOffset
        l.successorUnigramsOffset = check.successorUnigramsOffset
        guard check.tableOffsets == l.tableOffsets, check.totalSize == l.totalSize,
            check.unigramOffset == l.unigramOffset, check.stringBlobOffset == l.stringBlobOffset,
            l.successorEntries < 1 << 32, l.successorUnigrams <= l.vocabularySize
        else { throw LMBError.corrupt(file: path, what: "section offsets") }
        return l
    }
}

/// Why a `.lmb` file was rejected.
package enum LMBError: Error, Sendable, Equatable, CustomStringConvertible {
    case notLMB(file: String)
    case unsupportedVersion(file: String, found: UInt32)
    case truncated(file: String, expected: Int, actual: Int)
    case corrupt(file: String, what: String)
    case cannotWrite(file: String, reason: String)

    package var description: String {
        switch self {
        case .notLMB(let f): return "\(f): not an LMServe binary model (bad magic)"
        case .unsupportedVersion(let f, let v):
            return "\(f): binary model version \(v) is not supported (this build reads versions \(LMBLayout.readableVersions.lowerBound)–\(LMBLayout.readableVersions.upperBound))"
        case .truncated(let f, let e, let a): return "\(f): truncated binary model (\(a) bytes, expected \(e))"
        case .corrupt(let f, let w): return "\(f): corrupt binary model (\(w))"
        case .cannotWrite(let f, let r): return "\(f): cannot write binary model: \(r)"
        }
    }
}

private struct HeaderWriter {
    var out: [UInt8] = []
    mutating func bytes(_ b: [UInt8]) { out += b }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
    mutating func u64(_ v: Int) { withUnsafeBytes(of: UInt64(v).littleEndian) { out += $0 } }
}

private struct HeaderReader {
    let base: UnsafeRawPointer
    var at = 0
    mutating func bytes(_ n: Int) -> [UInt8] {
        defer { at += n }
        return [UInt8](UnsafeRawBufferPointer(start: base + at, count: n))
    }
    mutating func u32() -> UInt32 {
        defer { at += 4 }
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }
    mutating func int() -> Int {
        defer { at += 8 }
        let v = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self))
        // Capped at 2^40 so that layout arithmetic on a damaged header cannot overflow.
        return v > 1 << 40 ? 1 << 40 : Int(v)
    }
}
