#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LMCore

@inline(__always)
func trainingRead(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int) -> Int { read(fd, p, n) }

@inline(__always)
func trainingWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { write(fd, p, n) }

/// Writes all of `raw` to `fd`, retrying short writes and EINTR; `path` names the file in errors.
func spillWrite(_ fd: Int32, _ raw: UnsafeRawBufferPointer, path: String) throws {
    var off = 0
    while off < raw.count {
        let n = trainingWrite(fd, raw.baseAddress! + off, raw.count - off)
        if n < 0 {
            if errno == EINTR { continue }
            throw NGramTrainingError.spillFailed("writing \(path): \(String(cString: strerror(errno)))")
        }
        off += n
    }
}

/// Creates a new scratch file `<directory>/<prefix>-XXXXXX`; returns its descriptor and path.
func makeSpillFile(in directory: String, prefix: String) throws -> (fd: Int32, path: String) {
    do throws(FileOutput.Failure) {
        let file = try FileOutput.createScratch(in: directory, prefix: prefix)
        return (file.descriptor, file.path)
    } catch {
        throw NGramTrainingError.spillFailed("cannot create a file in \(directory): \(error.reason)")
    }
}

/// K-way merge of sorted count runs (files of `CountedNGram`), summing the counts of equal keys.
struct RunMerger {
    let paths: [String]
    /// Entries buffered per run.
    let bufferEntries: Int

    private final class Run {
        let fd: Int32
        var buffer: [CountedNGram]
        var position = 0
        var filled = 0
        let path: String

        init(path: String, capacity: Int) throws {
            self.path = path
            fd = open(path, O_RDONLY)
            guard fd >= 0 else {
                throw NGramTrainingError.spillFailed("cannot reopen \(path): \(String(cString: strerror(errno)))")
            }
            buffer = [CountedNGram](repeating: CountedNGram(key: .zero, count: 0), count: capacity)
        }

        deinit { close(fd) }

        var current: CountedNGram { buffer[position] }

        /// Moves to the next entry; false at the end of the run.
        func refill() throws -> Bool {
            let stride = MemoryLayout<CountedNGram>.stride
            var bytes = 0
            let want = buffer.count * stride
            try buffer.withUnsafeMutableBytes { raw in
                while bytes < want {
                    let n = trainingRead(fd, raw.baseAddress! + bytes, want - bytes)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw NGramTrainingError.spillFailed("reading \(path): \(String(cString: strerror(errno)))")
                    }
                    if n == 0 { break }
                    bytes += n
                }
            }
            guard bytes % stride == 0 else { throw NGramTrainingError.spillFailed("\(path) is truncated") }
            filled = bytes / stride
            position = 0
            return filled > 0
        }

        func next() throws -> Bool {
            position += 1
            if position < filled { return true }
            return try refill()
        }
    }

    func merge() throws -> [CountedNGram] {
        var out: [CountedNGram] = []
        try merge { e in
            if let last = out.last, last.key == e.key {
                out[out.count - 1].count &+= e.count
            } else {
                out.append(e)
            }
        }
        return out
    }

    /// Merges into a new run file at `path` (equal keys summed).
    func merge(toFile path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else {
            throw NGramTrainingError.spillFailed("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var buffer: [CountedNGram] = []
        buffer.reserveCapacity(bufferEntries)
        func flush() throws {
            try buffer.withUnsafeBytes { try spillWrite(fd, $0, path: path) }
            buffer.removeAll(keepingCapacity: true)
        }
        var pending: CountedNGram?
        try merge { e in
            if let p = pending, p.key == e.key {
                pending!.count &+= e.count
                return
            }
            if let p = pending {
                buffer.append(p)
                if buffer.count >= bufferEntries { try flush() }
            }
            pending = e
        }
        if let p = pending { buffer.append(p) }
        try flush()
    }

    /// Calls `emit` with every entry of every run in key order (equal keys not yet summed).
    private func merge(_ emit: (CountedNGram) throws -> Void) throws {
        var heap: [Run] = []
        for p in paths {
            let r = try Run(path: p, capacity: bufferEntries)
            if try r.refill() { heap.append(r) }
        }
        func less(_ a: Int, _ b: Int) -> Bool { heap[a].current.key < heap[b].current.key }
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var m = i
                if l < heap.count && less(l, m) { m = l }
                if r < heap.count && less(r, m) { m = r }
                if m == i { return }
                heap.swapAt(i, m)
                i = m
            }
        }
        for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
        while !heap.isEmpty {
            try emit(heap[0].current)
            if try heap[0].next() {
                siftDown(0)
            } else {
                heap.swapAt(0, heap.count - 1)
                heap.removeLast()
                if !heap.isEmpty { siftDown(0) }
            }
        }
    }
}
