/// How a trie stores its probabilities and backoffs (`lm/quantize.*`): as floats (31-bit
/// non-positive probabilities, 32-bit backoffs), or as `probBits`/`backoffBits` indices into
/// per-order tables of bin centres (`build_binary -q/-b`).
struct KenLMQuantization: @unchecked Sendable {
    /// The bin tables of one order: probability centres then backoff centres (nil at the top order).
    struct Tables {
        var prob: UnsafePointer<Float>
        var backoff: UnsafePointer<Float>?
    }

    let probBits: Int
    let backoffBits: Int
    /// Orders 2…N (index order − 2); empty when not quantized.
    let tables: [Tables]

    var quantized: Bool { !tables.isEmpty }
    /// Bits of one middle-order record's weights, and of a top-order record's probability.
    var middleBits: Int { quantized ? probBits + backoffBits : 63 }
    var longestBits: Int { quantized ? probBits : 31 }

    static let version: UInt8 = 2

    /// `SeparatelyQuantize::Size`: an 8-byte header (version, bits) and the tables.
    static func size(order: Int, probBits: Int, backoffBits: Int) -> Int {
        let longest = (1 << probBits) * 4
        return (order - 2) * ((1 << backoffBits) * 4 + longest) + longest + 8
    }

    /// Unquantized storage.
    init() {
        probBits = 0
        backoffBits = 0
        tables = []
    }

    /// Reads the header at `offset`: version, probability bits, backoff bits.
    static func readBits(_ b: KenLMBytes, offset: Int) throws -> (prob: Int, backoff: Int) {
        let version = try b.u8(offset, "quantization header")
        guard version == Self.version else {
            throw KenLMError.incompatible(file: b.file, reason: "quantization version \(version), this reader reads \(Self.version)")
        }
        let p = Int(try b.u8(offset + 1, "probability bits"))
        let q = Int(try b.u8(offset + 2, "backoff bits"))
        guard (1...25).contains(p), (1...25).contains(q) else {
            throw KenLMError.corrupt(file: b.file, what: "quantization with \(p) probability and \(q) backoff bits (1…25 each)")
        }
        return (p, q)
    }

    /// The tables at `base` (the section start, already bounds-checked for `size`).
    init(order: Int, probBits: Int, backoffBits: Int, base: UnsafeRawPointer) {
        self.probBits = probBits
        self.backoffBits = backoffBits
        var at = base + 8
        var ts: [Tables] = []
        for _ in 0..<(order - 2) {
            let prob = at.assumingMemoryBound(to: Float.self)
            at += (1 << probBits) * 4
            let backoff = at.assumingMemoryBound(to: Float.self)
            at += (1 << backoffBits) * 4
            ts.append(Tables(prob: prob, backoff: backoff))
        }
        ts.append(Tables(prob: at.assumingMemoryBound(to: Float.self), backoff: nil))
        tables = ts
    }
}
