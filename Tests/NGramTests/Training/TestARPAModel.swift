import CZlib
import Foundation

/// A small, independent ARPA reader and backoff scorer for checking trained models in tests.
struct TestARPAModel {
    struct Entry {
        var prob: Double
        var bow: Double
    }

    /// `ngram k=` counts from the header.
    var headerCounts: [Int] = []
    /// Word → id (ids are this reader's own).
    var ids: [String: Int32] = [:]
    var words: [String] = []
    /// Per order (index 0 = unigrams): word ids → log10 prob and backoff.
    var entries: [[[Int32]: Entry]] = []

    var order: Int { entries.count }

    /// Reads an ARPA file (gzip when the name ends in `.gz`).
    init(path: String) throws {
        let text = try Self.readText(path)
        var section = 0
        for lineSub in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = lineSub
            if line.hasPrefix("\\") {
                if line == "\\data\\" || line == "\\end\\" { section = 0; continue }
                // \k-grams:
                section = Int(line.dropFirst().prefix { $0.isNumber })!
                while entries.count < section { entries.append([:]) }
                continue
            }
            if section == 0 {
                if line.hasPrefix("ngram ") {
                    let n = line.split(separator: "=")
                    headerCounts.append(Int(n[1])!)
                }
                continue
            }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            let prob = Double(fields[0])!
            let bow = fields.count > 2 ? Double(fields[2])! : 0
            var key: [Int32] = []
            for w in fields[1].split(separator: " ") { key.append(id(String(w))) }
            entries[section - 1][key] = Entry(prob: prob, bow: bow)
        }
    }

    private mutating func id(_ w: String) -> Int32 {
        if let i = ids[w] { return i }
        let i = Int32(words.count)
        ids[w] = i
        words.append(w)
        return i
    }

    static func readText(_ path: String) throws -> String {
        if !path.hasSuffix(".gz") { return try String(contentsOfFile: path, encoding: .utf8) }
        guard let gz = gzopen(path, "rb") else { throw CocoaError(.fileReadNoPermission) }
        defer { gzclose(gz) }
        var data = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { gzread(gz, $0.baseAddress, UInt32($0.count)) }
            if n <= 0 { break }
            data.append(contentsOf: chunk[0..<Int(n)])
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// log10 p(word | context) with standard backoff; context oldest word first.
    func log10Prob(_ word: Int32, context: ArraySlice<Int32>) -> Double {
        let ctx = context.suffix(order - 1)
        var bowSum = 0.0
        var start = ctx.startIndex
        while true {
            let key = Array(ctx[start...]) + [word]
            if let e = entries[key.count - 1][key] { return e.prob + bowSum }
            if start == ctx.endIndex { return -Double.infinity }
            let c = Array(ctx[start...])
            bowSum += entries[c.count - 1][c]?.bow ?? 0
            start += 1
        }
    }

    /// Perplexity of `lines` (KenLM's: every word and `</s>`, OOVs scored as `<unk>`).
    func perplexity(_ lines: [Substring]) -> Double {
        let unk = ids["<unk>"]!
        let bos = ids["<s>"]!
        let eos = ids["</s>"]!
        var total = 0.0
        var n = 0
        for line in lines {
            var ctx: [Int32] = [bos]
            var tokens = line.split(separator: " ").map { ids[String($0)] ?? unk }
            tokens.append(eos)
            for i in tokens {
                total += log10Prob(i, context: ctx[...])
                n += 1
                ctx.append(i)
            }
        }
        return pow(10, -total / Double(n))
    }
}
