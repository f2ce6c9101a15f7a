/// The fixed header of a KenLM binary file (`lm/binary_format.cc`): a sanity block that pins
/// format version, float layout, word size and byte order, then the model's parameters and its
/// n-gram counts. The data structures follow at `size` (an 8-byte multiple).
struct KenLMHeader: Equatable {
    /// `lm::ngram::ModelType`.
    enum ModelType: UInt32 {
        case probing = 0, restProbing, trie, quantTrie, arrayTrie, quantArrayTrie

        var isTrie: Bool { rawValue >= 2 }
        var quantized: Bool { self == .quantTrie || self == .quantArrayTrie }
        var pointerCompressed: Bool { self == .arrayTrie || self == .quantArrayTrie }
        /// The `search_version` the reader expects (hashed 0, trie 1).
        var searchVersion: UInt32 { isTrie ? 1 : 0 }
    }

    static let magicPrefix = Array("mmap lm ".utf8)
    static let magicBeforeVersion = Array("mmap lm http://kheafield.com/code format version".utf8)
    static let magicIncomplete = Array("mmap lm http://kheafield.com/code incomplete\n".utf8)
    static let magic = Array("mmap lm http://kheafield.com/code format version 5\n".utf8) + [0]
    /// `sizeof(Sanity)`: the magic padded to 8 bytes, three floats, three 32-bit ints, one 64-bit.
    static let sanitySize = align8(magic.count + 1) + 12 + 12 + 8
    /// `sizeof(FixedWidthParameters)`: order, probing multiplier, model type, has_vocabulary,
    /// search version, each at its C layout offset.
    static let parametersSize = 20
    /// The highest order this reader serves (the state holds 7 context words).
    static let maxOrder = NGramState.maxOrder

    var order: Int
    var probingMultiplier: Float
    var modelType: ModelType
    var hasVocabulary: Bool
    var counts: [UInt64]
    /// Where the vocabulary section starts.
    var size: Int

    static func align8(_ x: Int) -> Int { (x + 7) & ~7 }

    /// Whether `bytes` (a file's start) hold a complete version-5 header naming a probing model.
    static func storesProbing(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let at = sanitySize + 8
        guard bytes.count >= at + 4, bytes.starts(with: magic) else { return false }
        let type = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))
        return type == ModelType.probing.rawValue || type == ModelType.restProbing.rawValue
    }

    /// The reference sanity block `build_binary` writes on a little-endian 64-bit machine.
    static let referenceSanity: [UInt8] = {
        var out = magic + [UInt8](repeating: 0, count: align8(magic.count + 1) - magic.count)
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        put(Float(0).bitPattern); put(Float(1).bitPattern); put(Float(-0.5).bitPattern)
        put(UInt32(1)); put(UInt32.max); put(UInt32(0)); put(UInt64(1))
        return out
    }()

    /// Parses and checks the header.
    /// - Throws: `KenLMError` naming the file: unfinished, another version, another word size or
    ///   byte order, a bad model type, or counts the file cannot hold.
    static func parse(_ b: KenLMBytes) throws -> KenLMHeader {
        if b.starts(with: magicIncomplete) {
            throw KenLMError.unreadable(file: b.file, reason: "build_binary did not finish writing this file")
        }
        guard b.starts(with: magicBeforeVersion) else {
            throw KenLMError.unreadable(file: b.file, reason: "not a KenLM binary file (bad magic)")
        }
        if !b.starts(with: magic) {
            let tail = (magicBeforeVersion.count..<min(b.count, magicBeforeVersion.count + 8))
                .map { b.base.load(fromByteOffset: $0, as: UInt8.self) }
            let version = String(decoding: tail.prefix { $0 != 0x0A && $0 != 0 }.filter { $0 != 0x20 }, as: UTF8.self)
            throw KenLMError.incompatible(file: b.file, reason: "format version \(version), this reader reads version 5")
        }
        try b.require(0, sanitySize + parametersSize, "the header")
        for (i, expected) in referenceSanity.enumerated() where b.base.load(fromByteOffset: i, as: UInt8.self) != expected {
            throw KenLMError.incompatible(
                file: b.file,
                reason: "its sanity values differ (written on a machine with another word size, byte order or float format)")
        }
        let p = sanitySize
        let order = Int(try b.u8(p, "order"))
        let multiplier = try b.f32(p + 4, "probing multiplier")
        let rawType = try b.u32(p + 8, "model type")
        let hasVocabulary = try b.u8(p + 12, "vocabulary flag") != 0
        let searchVersion = try b.u32(p + 16, "search version")
        guard let type = ModelType(rawValue: rawType) else {
            throw KenLMError.corrupt(file: b.file, what: "unknown model type \(rawType)")
        }
        guard searchVersion == type.searchVersion else {
            throw KenLMError.incompatible(file: b.file, reason: "search version \(searchVersion), this reader reads \(type.searchVersion)")
        }
        guard order >= 2 else { throw KenLMError.corrupt(file: b.file, what: "order \(order) (KenLM writes 2 or more)") }
        guard order <= maxOrder else {
            throw KenLMError.unsupported(file: b.file, reason: "order \(order), this server serves orders up to \(maxOrder)")
        }
        guard multiplier.isFinite, multiplier >= 1, multiplier < 1e6 else {
            throw KenLMError.corrupt(file: b.file, what: "probing multiplier \(multiplier)")
        }
        var counts: [UInt64] = []
        for n in 0..<order {
            let c = try b.u64(p + parametersSize + 8 * n, "the \(n + 1)-gram count")
            // Every stored n-gram takes at least one bit: larger counts cannot fit the file (and
            // keep all size arithmetic far from overflow).
            guard c >= 1, c <= UInt64(b.count) * 8, n > 0 || c < UInt64(UInt32.max) else {
                throw KenLMError.corrupt(file: b.file, what: "\(n + 1)-gram count \(c) for a file of \(b.count) bytes")
            }
            counts.append(c)
        }
        return KenLMHeader(
            order: order, probingMultiplier: multiplier, modelType: type, hasVocabulary: hasVocabulary, counts: counts,
            size: align8(sanitySize + parametersSize + 8 * order))
    }
}
