#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
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
            let reason = String(cString: strerror(errno))
            if errno == ENOSPC || errno == EFBIG || errno == EDQUOT {
                let folder = (path as NSString).deletingLastPathComponent
                throw NGramTrainingError.temporaryDirectoryFull(directory: folder, detail: "writing \(path): \(reason)")
            }
            throw NGramTrainingError.spillFailed("writing \(path): \(reason)")
        }
        off += n
    }
}

/// Fills `buffer` with whole records read from `fd` (fewer at the end of the file); returns how
/// many. `path` names the file in errors.
func readRecords<Record>(_ fd: Int32, into buffer: inout [Record], path: String) throws -> Int {
    let stride = MemoryLayout<Record>.stride
    let want = buffer.count * stride
    var bytes = 0
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
    return bytes / stride
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
            filled = try readRecords(fd, into: &buffer, path: path)
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
        try merge(summing: { out.append($0) })
        return out
    }

    /// Calls `emit` with every distinct key and its summed count, in key order.
    func merge(summing emit: (CountedNGram) throws -> Void) throws {
        var pending: CountedNGram?
        try mergeRuns { e in
            if let p = pending, p.key == e.key {
                pending!.count &+= e.count
                return
            }
            if let p = pending { try emit(p) }
            pending = e
        }
        if let p = pending { try emit(p) }
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
        try merge(summing: { e in
            buffer.append(e)
            if buffer.count >= bufferEntries { try flush() }
        })
        try flush()
    }

    /// Calls `emit` with every entry of every run in key order (equal keys not yet summed).
    private func mergeRuns(_ emit: (CountedNGram) throws -> Void) throws {
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
