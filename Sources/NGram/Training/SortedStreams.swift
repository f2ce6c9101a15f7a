#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One n-gram as the on-disk estimation passes carry it: its key, counts and one number (a
/// probability or a backoff weight, depending on the pass). 32 bytes.
struct StreamEntry {
    var key: CountKey
    var raw: UInt32
    var adjusted: UInt32
    var value: Double

    init(key: CountKey, raw: UInt32 = 0, adjusted: UInt32 = 0, value: Double = 0) {
        self.key = key
        self.raw = raw
        self.adjusted = adjusted
        self.value = value
    }
}

/// The scratch folder of one training run, its memory split and the files it holds.
///
/// A sorter keeps `sortEntries` entries in memory (a quarter of the budget, with room for the
/// sort's scratch space); readers and writers buffer `ioEntries` entries each, at most
/// `fanIn + 2` of them at once. Every file created here is removed by `removeAll` (or deinit).
final class TrainingScratch {
    let directory: String
    let sortEntries: Int
    let ioEntries: Int
    let fanIn = 64
    private var files: Set<String> = []

    init(directory: String, memoryBytes: Int) {
        self.directory = directory
        let stride = MemoryLayout<StreamEntry>.stride
        // An array of n entries plus the merge sort's n/2 scratch: 1.5 · stride bytes an entry.
        sortEntries = max(64, memoryBytes / 4 / (stride + stride / 2))
        ioEntries = min(1 << 14, max(64, memoryBytes / 8 / stride / (fanIn + 2)))
    }

    deinit { removeAll() }

    func create(_ prefix: String) throws -> (fd: Int32, path: String) {
        let file = try makeSpillFile(in: directory, prefix: prefix)
        files.insert(file.path)
        return file
    }

    func remove(_ path: String) {
        unlink(path)
        files.remove(path)
    }

    func removeAll() {
        for f in files { unlink(f) }
        files.removeAll()
    }
}

private func closeDescriptor(_ fd: Int32) { close(fd) }

/// Appends entries to a new scratch file.
final class EntryWriter {
    let path: String
    private var fd: Int32
    private var buffer: [StreamEntry] = []
    private let capacity: Int
    private(set) var count = 0

    init(_ scratch: TrainingScratch, prefix: String) throws {
        (fd, path) = try scratch.create(prefix)
        capacity = scratch.ioEntries
        buffer.reserveCapacity(capacity)
    }

    deinit { if fd >= 0 { closeDescriptor(fd) } }

    @inline(__always)
    func append(_ e: StreamEntry) throws {
        buffer.append(e)
        count += 1
        if buffer.count >= capacity { try flush() }
    }

    private func flush() throws {
        try buffer.withUnsafeBytes { try spillWrite(fd, $0, path: path) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered and closes the file; returns its path.
    func close() throws -> String {
        try flush()
        closeDescriptor(fd)
        fd = -1
        return path
    }
}

/// A sequence of entries read once, in some sorted order.
protocol EntrySource: AnyObject {
    /// The next entry, or nil at the end.
    func next() throws -> StreamEntry?
}

/// Reads a file written by `EntryWriter`.
final class EntryReader: EntrySource {
    let path: String
    private let fd: Int32
    private var buffer: [StreamEntry]
    private var position = 0
    private var filled = 0

    init(path: String, bufferEntries: Int) throws {
        self.path = path
        fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw NGramTrainingError.spillFailed("cannot reopen \(path): \(String(cString: strerror(errno)))")
        }
        buffer = [StreamEntry](repeating: StreamEntry(key: .zero), count: bufferEntries)
    }

    deinit { close(fd) }

    @inline(__always)
    func next() throws -> StreamEntry? {
        if position == filled {
            try refill()
            if filled == 0 { return nil }
        }
        position += 1
        return buffer[position - 1]
    }

    private func refill() throws {
        filled = try readRecords(fd, into: &buffer, path: path)
        position = 0
    }
}

/// Entries of an array, in order.
final class ArraySource: EntrySource {
    private var entries: [StreamEntry]
    private var position = 0

    init(_ entries: [StreamEntry]) { self.entries = entries }

    func next() throws -> StreamEntry? {
        guard position < entries.count else {
            entries = []
            return nil
        }
        position += 1
        return entries[position - 1]
    }
}

/// K-way merge of sorted sources by key.
final class MergeSource: EntrySource {
    private var heads: [(entry: StreamEntry, source: any EntrySource)] = []

    init(_ sources: [any EntrySource]) throws {
        for s in sources {
            if let e = try s.next() { heads.append((e, s)) }
        }
        for i in stride(from: heads.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
    }

    private func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var m = i
            if l < heads.count && heads[l].entry.key < heads[m].entry.key { m = l }
            if r < heads.count && heads[r].entry.key < heads[m].entry.key { m = r }
            if m == i { return }
            heads.swapAt(i, m)
            i = m
        }
    }

    func next() throws -> StreamEntry? {
        guard !heads.isEmpty else { return nil }
        let out = heads[0].entry
        if let e = try heads[0].source.next() {
            heads[0].entry = e
        } else {
            heads.swapAt(0, heads.count - 1)
            heads.removeLast()
        }
        if !heads.isEmpty { siftDown(0) }
        return out
    }
}

/// Sorts entries by key in bounded memory: full buffers are sorted and written as runs, which
/// `finish` merges (in several passes when there are more than `fanIn`).
final class EntrySorter {
    private let scratch: TrainingScratch
    private var buffer: [StreamEntry] = []
    private var runs: [String] = []
    /// Runs written, for progress and tests.
    private(set) var spilledRuns = 0

    init(_ scratch: TrainingScratch) {
        self.scratch = scratch
    }

    @inline(__always)
    func append(_ e: StreamEntry) throws {
        if buffer.isEmpty { buffer.reserveCapacity(scratch.sortEntries) }
        buffer.append(e)
        if buffer.count >= scratch.sortEntries { try spill() }
    }

    private func sortBuffer() {
        buffer.sort { $0.key < $1.key }
    }

    private func spill() throws {
        sortBuffer()
        let w = try EntryWriter(scratch, prefix: "lmserve-sort")
        for e in buffer { try w.append(e) }
        runs.append(try w.close())
        spilledRuns += 1
        buffer = []
    }

    /// All entries in key order; `mergePass` is told about each extra merge pass. The run files
    /// are removed once the returned source is released and `scratch` cleans up.
    func finish(mergePass: (Int) -> Void = { _ in }) throws -> any EntrySource {
        if runs.isEmpty {
            sortBuffer()
            defer { buffer = [] }
            return ArraySource(buffer)
        }
        if !buffer.isEmpty { try spill() }
        while runs.count > scratch.fanIn {
            mergePass(runs.count)
            let group = Array(runs.prefix(scratch.fanIn))
            runs.removeFirst(scratch.fanIn)
            let merged = try MergeSource(group.map { try EntryReader(path: $0, bufferEntries: scratch.ioEntries) })
            // Open files keep their data until closed: unlinking now frees the space as the
            // merge ends.
            for r in group { scratch.remove(r) }
            let w = try EntryWriter(scratch, prefix: "lmserve-sort")
            while let e = try merged.next() { try w.append(e) }
            runs.append(try w.close())
        }
        let readers = try runs.map { try EntryReader(path: $0, bufferEntries: scratch.ioEntries) }
        for r in runs { scratch.remove(r) }
        runs = []
        return try MergeSource(readers)
    }
}
