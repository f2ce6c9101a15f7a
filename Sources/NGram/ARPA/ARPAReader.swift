#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the sections of an ARPA file from its bytes, one function per section, tracking lines.
///
/// The caller drives it: `readCounts()`, then per order `readSectionHeader` and `readNGram`
/// (count times), then `readEnd`. Fields are separated by spaces or tabs; a trailing `\r` is
/// ignored. Every error is an `ARPAError` naming the file and the 1-based line.
struct ARPAReader {
    let file: String
    private let base: UnsafePointer<UInt8>
    private let count: Int
    private var position = 0
    /// The line most recently read (1-based; 0 before the first).
    private(set) var lineNumber = 0
    /// The line of `ngram 1=…` (set by `readCounts`).
    private(set) var firstCountLine = 0

    /// `bytes` must stay valid while the reader is used.
    init(file: String, bytes: UnsafeBufferPointer<UInt8>) {
        self.file = file
        self.base = bytes.baseAddress ?? WordHashEmpty.pointer
        self.count = bytes.count
    }

    func error(_ problem: ARPAError.Problem, line: Int? = nil) -> ARPAError {
        .malformed(file: file, line: line ?? max(lineNumber, 1), problem: problem)
    }

    // MARK: Lines

    /// The next line without `\n` and trailing `\r`; nil at the end of the input.
    mutating func nextLine() -> UnsafeBufferPointer<UInt8>? {
        guard position < count else { return nil }
        let start = base + position
        let remaining = count - position
        var length: Int
        if let nl = memchr(start, 0x0A, remaining) {
            length = UnsafeRawPointer(nl) - UnsafeRawPointer(start)
            position += length + 1
        } else {
            length = remaining
            position = count
        }
        lineNumber += 1
        while length > 0 && (start[length - 1] == 0x0D || start[length - 1] == 0x20 || start[length - 1] == 0x09) {
            length -= 1
        }
        return UnsafeBufferPointer(start: start, count: length)
    }

    /// The next line that is not blank; nil at the end of the input.
    mutating func nextNonBlankLine() -> UnsafeBufferPointer<UInt8>? {
        while let line = nextLine() {
            if !line.isEmpty { return line }
        }
        return nil
    }

    static func text(_ bytes: UnsafeBufferPointer<UInt8>, limit: Int = 80) -> String {
        String(decoding: bytes.prefix(limit), as: UTF8.self)
    }

    static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ s: StaticString) -> Bool {
        bytes.count == s.utf8CodeUnitCount && memcmp(bytes.baseAddress!, s.utf8Start, bytes.count) == 0
    }

    // MARK: Sections

    /// Reads `\data\` and its `ngram N=count` lines; returns the counts, index = order − 1.
    mutating func readCounts() throws -> [Int] {
        guard let header = nextNonBlankLine() else { throw error(.missingDataHeader) }
        guard Self.equals(header, "\\data\\") else { throw error(.missingDataHeader) }
        firstCountLine = lineNumber + 1
        var counts: [Int] = []
        while let line = nextLine(), !line.isEmpty {
            let text = Self.text(line)
            guard text.hasPrefix("ngram ") else { throw error(.badCountLine(text)) }
            let parts = text.dropFirst(6).split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2,
                let n = Int(parts[0].trimmingSpaces), let c = Int(parts[1].trimmingSpaces), c >= 0
            else { throw error(.badCountLine(text)) }
            guard n >= 1 && n <= NGramState.maxOrder else { throw error(.badOrder(n)) }
            guard n == counts.count + 1 else { throw error(.badCountLine(text)) }
            counts.append(c)
        }
        guard !counts.isEmpty else {
            if position >= count { throw error(.truncated) }
            throw error(.badCountLine(""))
        }
        return counts
    }

    /// Reads the `\N-grams:` line. `previous` is the order and declared count just read, so
    /// an extra n-gram line is reported as a count mismatch.
    mutating func readSectionHeader(order n: Int, previous: (order: Int, declared: Int)?) throws {
        guard let line = nextNonBlankLine() else { throw error(.truncated, line: lineNumber + 1) }
        if Self.equals(line, "\\end\\") || line.first != 0x5C {
            if let p = previous, line.first != 0x5C {
                throw error(.countMismatch(order: p.order, declared: p.declared, found: p.declared + 1))
            }
            throw error(.expectedSectionHeader(order: n, found: Self.text(line)))
        }
        let text = Self.text(line)
        guard text == "\\\(n)-grams:" else { throw error(.expectedSectionHeader(order: n, found: text)) }
    }

    /// Reads one n-gram line of order `n`: the words go to `words` (in file order), and the
    /// result is (log10 prob, backoff or nil when absent). `index` counts from 0 in the section.
    mutating func readNGram(
        order n: Int, declared: Int, index: Int, words: inout [UnsafeBufferPointer<UInt8>]
    ) throws -> (prob: Float, backoff: Float?) {
        guard let line = nextLine() else { throw error(.truncated, line: lineNumber + 1) }
        if line.isEmpty || line.first == 0x5C {
            throw error(.countMismatch(order: n, declared: declared, found: index))
        }
        words.removeAll(keepingCapacity: true)
        var fields = FieldCursor(line)
        guard let probField = fields.next() else { throw error(.countMismatch(order: n, declared: declared, found: index)) }
        guard let prob = ARPANumber.parseFloat(probField) else { throw error(.badNumber(Self.text(probField))) }
        if prob.isNaN { throw error(.nanProbability) }
        if prob == .infinity { throw error(.badNumber(Self.text(probField))) }
        for _ in 0..<n {
            guard let w = fields.next() else { throw error(.wrongWordCount(order: n, found: words.count)) }
            words.append(w)
        }
        var backoff: Float? = nil
        if let b = fields.next() {
            guard let v = ARPANumber.parseFloat(b) else {
                // A word where the backoff should be: too many words for this order.
                throw error(.wrongWordCount(order: n, found: n + 1 + fields.remainingCount))
            }
            guard v.isFinite else { throw error(.badBackoff(Self.text(b))) }
            backoff = v
        }
        if fields.next() != nil { throw error(.wrongWordCount(order: n, found: n + 2 + fields.remainingCount)) }
        return (prob, backoff)
    }

    /// Reads `\end\`; only blank lines may follow it.
    mutating func readEnd(previous: (order: Int, declared: Int)) throws {
        guard let line = nextNonBlankLine() else { throw error(.missingEnd, line: lineNumber + 1) }
        guard Self.equals(line, "\\end\\") else {
            if line.first != 0x5C {
                throw error(.countMismatch(order: previous.order, declared: previous.declared, found: previous.declared + 1))
            }
            throw error(.missingEnd)
        }
        if nextNonBlankLine() != nil { throw error(.unexpectedTextAfterEnd) }
    }
}

/// Splits one line into fields separated by runs of spaces and tabs.
struct FieldCursor {
    private let line: UnsafeBufferPointer<UInt8>
    private var i = 0

    init(_ line: UnsafeBufferPointer<UInt8>) { self.line = line }

    mutating func next() -> UnsafeBufferPointer<UInt8>? {
        while i < line.count && (line[i] == 0x20 || line[i] == 0x09) { i += 1 }
        guard i < line.count else { return nil }
        let start = i
        while i < line.count && line[i] != 0x20 && line[i] != 0x09 { i += 1 }
        return UnsafeBufferPointer(rebasing: line[start..<i])
    }

    /// How many fields are left (consumes nothing).
    var remainingCount: Int {
        var copy = self
        var n = 0
        while copy.next() != nil { n += 1 }
        return n
    }
}

/// A valid pointer for empty inputs.
enum WordHashEmpty {
    nonisolated(unsafe) static let pointer: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return s
    }
}
