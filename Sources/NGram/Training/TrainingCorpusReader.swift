#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LMCore

/// Reads text files (`-` = stdin), one sentence a line, tokenises them and maps words to ids.
struct TrainingCorpusReader {
    let tokenizer: Tokenizer
    /// When false, unknown words become `<unk>` instead of growing the table (held-out text).
    let addWords: Bool

    func read(_ paths: [String], into table: inout TrainingVocabulary, stream: TrainingTokenStream, progress: ((NGramTrainingEvent) -> Void)?) throws {
        for path in paths {
            try read(path, table: &table, stream: stream, progress: progress)
        }
    }

    private func read(_ path: String, table: inout TrainingVocabulary, stream: TrainingTokenStream, progress: ((NGramTrainingEvent) -> Void)?) throws {
        let fd: Int32 = path == "-" ? 0 : open(path, O_RDONLY)
        guard fd >= 0 else {
            throw NGramTrainingError.unreadableInput(path: path, reason: String(cString: strerror(errno)))
        }
        defer { if fd != 0 { close(fd) } }
        let source = path == "-" ? "stdin" : path
        var buffer = [UInt8](repeating: 0, count: 1 << 22)
        var filled = 0
        var lineNumber = 0
        var atEOF = false
        while !atEOF {
            if filled == buffer.count { buffer.append(contentsOf: [UInt8](repeating: 0, count: buffer.count)) }
            let n = buffer.withUnsafeMutableBytes { trainingRead(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                throw NGramTrainingError.unreadableInput(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { atEOF = true }
            filled += n
            // Process whole lines; keep the tail (or everything at EOF).
            var consumed = 0
            try buffer.withUnsafeBufferPointer { all in
                var start = 0
                var i = 0
                while i < filled {
                    if all[i] == 0x0A {
                        lineNumber += 1
                        try line(UnsafeBufferPointer(rebasing: all[start..<i]), source, lineNumber, &table, stream)
                        start = i + 1
                    }
                    i += 1
                }
                if atEOF && start < filled {
                    lineNumber += 1
                    try line(UnsafeBufferPointer(rebasing: all[start..<filled]), source, lineNumber, &table, stream)
                    start = filled
                }
                consumed = start
            }
            if consumed > 0 {
                buffer.withUnsafeMutableBytes { b in
                    let base = b.baseAddress!
                    memmove(base, base + consumed, filled - consumed)
                }
                filled -= consumed
            }
            progress?(.read(bytes: n, tokens: stream.words))
        }
    }

    @inline(__always)
    private func line(
        _ bytes: UnsafeBufferPointer<UInt8>, _ source: String, _ lineNumber: Int,
        _ table: inout TrainingVocabulary, _ stream: TrainingTokenStream
    ) throws {
        switch tokenizer {
        case .whitespace:
            var i = 0
            let n = bytes.count
            while i < n {
                while i < n && Tokenizer.isKenLMSpace(bytes[i]) { i += 1 }
                let s = i
                while i < n && !Tokenizer.isKenLMSpace(bytes[i]) { i += 1 }
                if i > s { try token(UnsafeBufferPointer(rebasing: bytes[s..<i]), source, lineNumber, &table, stream) }
            }
        case .basic, .subword:
            let text = String(decoding: bytes, as: UTF8.self)
            for t in tokenizer.tokenize(Substring(text)) {
                var w = String(t)
                try w.withUTF8 { try token($0, source, lineNumber, &table, stream) }
            }
        }
        try stream.append(TrainingVocabulary.eos)
    }

    @inline(__always)
    private func token(
        _ p: UnsafeBufferPointer<UInt8>, _ source: String, _ lineNumber: Int,
        _ table: inout TrainingVocabulary, _ stream: TrainingTokenStream
    ) throws {
        let id: UInt32
        if addWords {
            id = table.id(of: p)
        } else {
            id = table.find(p) ?? TrainingVocabulary.unk
        }
        if id == TrainingVocabulary.bos || id == TrainingVocabulary.eos {
            throw NGramTrainingError.sentenceMarkerInText(
                token: String(decoding: p, as: UTF8.self), source: source, line: lineNumber)
        }
        try stream.append(id)
    }
}
