#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Training text as word ids: each sentence's words followed by `</s>` (id 2). Up to `limit` ids
/// stay in memory; beyond that they are appended to a temporary file, read back in chunks.
final class TrainingTokenStream {
    /// Word tokens, `</s>` not included.
    private(set) var words = 0
    private(set) var sentences = 0
    /// Ids written to the temporary file.
    private(set) var spilledIDs = 0
    private var buffer: [UInt32] = []
    private let limit: Int
    private let temporaryDirectory: String
    private var fd: Int32 = -1
    private var path: String?

    init(limit: Int, temporaryDirectory: String) {
        self.limit = max(1 << 12, limit)
        self.temporaryDirectory = temporaryDirectory
    }

    deinit {
        if fd >= 0 { close(fd) }
        if let path { unlink(path) }
    }

    @inline(__always)
    func append(_ id: UInt32) throws {
        if id == TrainingVocabulary.eos { sentences += 1 } else { words += 1 }
        buffer.append(id)
        if buffer.count >= limit { try flush() }
    }

    private func flush() throws {
        if fd < 0 {
            let file = try makeSpillFile(in: temporaryDirectory, prefix: "lmserve-tokens")
            fd = file.fd
            path = file.path
        }
        try buffer.withUnsafeBytes { try spillWrite(fd, $0, path: path ?? "") }
        spilledIDs += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    /// Drops the ids (memory and file), keeping the totals.
    func release() {
        buffer = []
        if fd >= 0 { close(fd) }
        fd = -1
        if let path { unlink(path) }
        path = nil
    }

    /// Calls `body` with every id in order, in chunks.
    func forEachChunk(_ body: (UnsafeBufferPointer<UInt32>) throws -> Void) throws {
        if fd >= 0, spilledIDs > 0 {
            var chunk = [UInt32](repeating: 0, count: min(limit, 1 << 20))
            var offset = 0
            let total = spilledIDs * 4
            while offset < total {
                let want = min(chunk.count * 4, total - offset)
                var got = 0
                try chunk.withUnsafeMutableBytes { raw in
                    while got < want {
                        let n = pread(fd, raw.baseAddress! + got, want - got, off_t(offset + got))
                        if n < 0 {
                            if errno == EINTR { continue }
                            throw NGramTrainingError.spillFailed("reading \(path ?? ""): \(String(cString: strerror(errno)))")
                        }
                        if n == 0 { throw NGramTrainingError.spillFailed("\(path ?? "") is truncated") }
                        got += n
                    }
                }
                offset += want
                try chunk.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0..<(want / 4)])) }
            }
        }
        try buffer.withUnsafeBufferPointer { try body($0) }
    }
}
