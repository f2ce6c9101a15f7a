#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib

/// Writes estimated levels as an ARPA file, plain or gzip-compressed (`.gz`).
///
/// Lines are `log10 p <TAB> words [<TAB> log10 bow]`; orders below the highest always carry a
/// backoff (0 where the n-gram is no context), `<s>` has probability 0 (log10 of 1, as lmplz
/// writes it) and an impossible value (weight 0) is written as -99.
struct TrainingARPAWriter {
    let path: String
    let gzip: Bool
    let layout: CountKeyLayout
    let words: [[UInt8]]
    private var out = ARPAByteSink()

    /// Creates `path` (gzip-compressed when `gzip`); `words` spells the ids of the keys.
    init(path: String, gzip: Bool, layout: CountKeyLayout, words: [[UInt8]]) throws {
        self.path = path
        self.gzip = gzip
        self.layout = layout
        self.words = words
        if gzip {
            guard let gz = gzopen(path, "wb5") else {
                throw NGramTrainingError.unwritableOutput(path: path, reason: String(cString: strerror(errno)))
            }
            out.gz = gz
        } else {
            guard let f = fopen(path, "wb") else {
                throw NGramTrainingError.unwritableOutput(path: path, reason: String(cString: strerror(errno)))
            }
            out.file = f
        }
    }

    /// Writes the whole model from in-memory levels.
    static func write(_ L: CountLevels, to path: String, gzip: Bool, words: [[UInt8]]) throws {
        var w = try TrainingARPAWriter(path: path, gzip: gzip, layout: L.layout, words: words)
        do {
            try w.writeLevels(L)
        } catch {
            w.abandon()
            throw error
        }
    }

    private mutating func writeLevels(_ L: CountLevels) throws {
        header(counts: (1...L.order).map { k in
            (0..<L[k].count).filter { L.isReal(k, $0) && L[k].isKept($0) }.count
        })
        for k in 1...L.order {
            try section(k)
            let level = L.levels[k - 1]
            for i in 0..<level.count where L.isReal(k, i) && level.isKept(i) {
                try line(order: k, key: level.keys[i], prob: level.prob[i], backoff: k < L.order ? level.backoff[i] : nil)
            }
        }
        try finish()
    }

    /// The `\data\` block: the number of n-grams of each order.
    mutating func header(counts: [Int]) {
        out.append("\\data\\\n")
        for (k, n) in counts.enumerated() { out.append("ngram \(k + 1)=\(n)\n") }
    }

    mutating func section(_ k: Int) throws {
        out.append("\n\\\(k)-grams:\n")
    }

    /// One n-gram of order `k`: its linear probability and, below the highest order, backoff.
    @inline(__always)
    mutating func line(order k: Int, key: CountKey, prob: Double, backoff: Double?) throws {
        out.number(min(0, log10(prob)))
        out.byte(0x09)
        for j in 0..<k {
            if j > 0 { out.byte(0x20) }
            out.bytes(words[Int(layout.word(key, j))])
        }
        if let backoff {
            out.byte(0x09)
            out.number(log10(backoff))
        }
        out.byte(0x0A)
        if !out.flushIfFull() { throw failure() }
    }

    /// Writes the end marker and closes the file.
    mutating func finish() throws {
        out.append("\n\\end\\\n")
        if !out.close() { throw failure() }
    }

    /// Closes the file after an error elsewhere (the caller removes it).
    mutating func abandon() { _ = out.close() }

    private func failure() -> NGramTrainingError {
        .unwritableOutput(path: path, reason: "write failed: \(String(cString: strerror(errno)))")
    }
}

/// A byte buffer that drains into a `FILE*` or a gzip stream.
struct ARPAByteSink {
    var file: UnsafeMutablePointer<FILE>? = nil
    var gz: gzFile? = nil
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 20 + 4096) }

    @inline(__always) mutating func byte(_ b: UInt8) { buffer.append(b) }
    @inline(__always) mutating func bytes(_ b: [UInt8]) { buffer.append(contentsOf: b) }
    mutating func append(_ s: String) { buffer.append(contentsOf: s.utf8) }

    /// Appends `v` with up to 7 decimals (exact to 5e-8), no trailing zeros; -inf and NaN as -99.
    @inline(__always)
    mutating func number(_ v: Double) {
        guard v.isFinite, v > -99 else {
            append("-99")
            return
        }
        var scaled = Int64((abs(v) * 1e7).rounded())
        if scaled == 0 {
            buffer.append(0x30)
            return
        }
        if v < 0 { buffer.append(0x2D) }
        let intPart = scaled / 10_000_000
        scaled %= 10_000_000
        appendInt(intPart)
        if scaled > 0 {
            buffer.append(0x2E)
            var digits = 7
            while scaled % 10 == 0 {
                scaled /= 10
                digits -= 1
            }
            var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0)
            withUnsafeMutableBytes(of: &tmp) { t in
                for d in stride(from: digits - 1, through: 0, by: -1) {
                    t[d] = UInt8(0x30 + scaled % 10)
                    scaled /= 10
                }
                buffer.append(contentsOf: t[0..<digits])
            }
        }
    }

    @inline(__always)
    private mutating func appendInt(_ v: Int64) {
        if v >= 10 { appendInt(v / 10) }
        buffer.append(UInt8(0x30 + v % 10))
    }

    /// Drains the buffer once it holds a megabyte; false when writing failed.
    @inline(__always)
    mutating func flushIfFull() -> Bool {
        buffer.count >= 1 << 20 ? flush() : true
    }

    mutating func flush() -> Bool {
        defer { buffer.removeAll(keepingCapacity: true) }
        guard !buffer.isEmpty else { return true }
        return buffer.withUnsafeBytes { raw in
            if let gz { return gzwrite(gz, raw.baseAddress, UInt32(raw.count)) == Int32(raw.count) }
            return fwrite(raw.baseAddress, 1, raw.count, file) == raw.count
        }
    }

    /// Flushes and closes; false when anything failed.
    mutating func close() -> Bool {
        let ok = flush()
        defer {
            gz = nil
            file = nil
        }
        if let gz { return gzclose(gz) == Z_OK && ok }
        if let file { return fclose(file) == 0 && ok }
        return ok
    }
}
