import Foundation

/// A safetensors file, memory-mapped: its tensor directory, its `__metadata__`, and tensors
/// converted to Float32 on request.
///
/// Layout: an 8-byte little-endian header length N, N bytes of JSON
/// (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {…}}`), then the
/// data section; offsets are relative to its start. The whole directory is validated on open
/// (dtypes, sizes, bounds, overlaps), so later reads cannot fault.
// @unchecked: immutable after init; `mapping` is a read-only memory map, safe to read from any thread.
package final class SafetensorsReader: @unchecked Sendable {
    /// One tensor's directory entry.
    package struct Entry: Sendable, Equatable {
        package var dtype: SafetensorsDType
        package var shape: [Int]
        /// Byte range within the data section.
        package var begin: Int
        package var end: Int
        package var count: Int { shape.reduce(1, *) }
    }

    package let path: String
    package let entries: [String: Entry]
    /// `__metadata__` (string values only, as the format requires).
    package let metadata: [String: String]
    private let mapping: FileMapping
    private let dataStart: Int

    /// Maps and validates `path`.
    /// - Throws: `SafetensorsError` describing the first problem found.
    package init(path: String) throws {
        self.path = path
        let mapping = try FileMapping(path: path)
        self.mapping = mapping
        let size = mapping.size
        guard size >= 8 else { throw SafetensorsError.truncatedHeaderLength(fileSize: size) }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(mapping.bytes[i]) << (8 * UInt64(i)) }
        guard headerLength <= UInt64(size - 8) else {
            throw SafetensorsError.headerPastEnd(headerLength: headerLength, fileSize: size)
        }
        dataStart = 8 + Int(headerLength)
        let headerData = Data(bytes: mapping.bytes + 8, count: Int(headerLength))
        (entries, metadata) = try Self.parseHeader(headerData, dataSize: size - dataStart)
    }

    /// Names of all tensors, sorted.
    package var tensorNames: [String] { entries.keys.sorted() }

    /// The tensor `name` as Float32 values, row-major; checks the shape when `shape` is given.
    /// - Throws: `SafetensorsError.missingTensor`, `.wrongShape` or `.unsupportedDType`.
    package func floats(_ name: String, shape: [Int]? = nil) throws -> [Float] {
        guard let entry = entries[name] else { throw SafetensorsError.missingTensor(name) }
        if let shape, shape != entry.shape {
            throw SafetensorsError.wrongShape(tensor: name, expected: shape, actual: entry.shape)
        }
        let source = UnsafeRawPointer(mapping.bytes + dataStart + entry.begin)
        let count = entry.count
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try entry.dtype.convert(source, count: count, into: buffer.baseAddress!, tensor: name)
            initialized = count
        }
    }

    private static func parseHeader(_ data: Data, dataSize: Int) throws -> ([String: Entry], [String: String]) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw SafetensorsError.badHeader("not valid JSON (\(error.localizedDescription))")
        }
        guard let header = object as? [String: Any] else {
            throw SafetensorsError.badHeader("the header is not a JSON object")
        }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let dict = value as? [String: Any] else {
                    throw SafetensorsError.badMetadata(key: "__metadata__", problem: "not an object")
                }
                for (key, v) in dict {
                    guard let s = v as? String else {
                        throw SafetensorsError.badMetadata(key: key, problem: "value is not a string")
                    }
                    metadata[key] = s
                }
                continue
            }
            entries[name] = try parseEntry(name, value, dataSize: dataSize)
        }
        // Byte ranges may not overlap (empty tensors overlap nothing).
        let sorted = entries.filter { $0.value.end > $0.value.begin }.sorted { $0.value.begin < $1.value.begin }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where next.value.begin < previous.value.end {
            throw SafetensorsError.overlapping(tensor: next.key, other: previous.key)
        }
        return (entries, metadata)
    }

    private static func parseEntry(_ name: String, _ value: Any, dataSize: Int) throws -> Entry {
        guard let dict = value as? [String: Any] else {
            throw SafetensorsError.badEntry(tensor: name, problem: "entry is not an object")
        }
        guard let dtypeName = dict["dtype"] as? String else {
            throw SafetensorsError.badEntry(tensor: name, problem: "missing or non-string dtype")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw SafetensorsError.unknownDType(tensor: name, dtype: dtypeName)
        }
        guard let shapeValues = dict["shape"] as? [Any], let shape = integers(shapeValues),
            shape.allSatisfy({ $0 >= 0 })
        else {
            throw SafetensorsError.badEntry(tensor: name, problem: "shape is not a list of non-negative integers")
        }
        guard let offsetValues = dict["data_offsets"] as? [Any], let offsets = integers(offsetValues),
            offsets.count == 2, offsets[0] >= 0, offsets[1] >= 0
        else {
            throw SafetensorsError.badEntry(tensor: name, problem: "data_offsets is not two non-negative integers")
        }
        let (begin, end) = (offsets[0], offsets[1])
        var elements = 1
        for d in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow else { throw SafetensorsError.badEntry(tensor: name, problem: "shape too large") }
            elements = product
        }
        let (expected, overflow) = elements.multipliedReportingOverflow(by: dtype.size)
        guard !overflow, end >= begin, end - begin == expected else {
            throw SafetensorsError.sizeMismatch(tensor: name, expectedBytes: overflow ? Int.max : expected,
                                                actualBytes: end - begin)
        }
        guard end <= dataSize else { throw SafetensorsError.dataPastEnd(tensor: name, end: end, dataSize: dataSize) }
        return Entry(dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// JSON numbers as exact non-fractional integers, or nil.
    private static func integers(_ values: [Any]) -> [Int]? {
        var result: [Int] = []
        for v in values {
            guard let n = v as? NSNumber else { return nil }
            let d = n.doubleValue
            guard d == d.rounded(), abs(d) < 9.0e15 else { return nil }
            result.append(n.intValue)
        }
        return result
    }
}

/// A read-only `mmap` of a whole file, unmapped on deinit.
private final class FileMapping {
    let bytes: UnsafePointer<UInt8>
    let size: Int
    private let mapped: Bool

    init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw SafetensorsError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SafetensorsError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SafetensorsError.cannotOpen(path: path, reason: "not a regular file")
        }
        size = Int(info.st_size)
        if size == 0 {
            // mmap refuses empty files; point at a static empty buffer instead.
            bytes = UnsafePointer(UnsafeMutablePointer<UInt8>.allocate(capacity: 1))
            mapped = false
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw SafetensorsError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        bytes = UnsafePointer(p.assumingMemoryBound(to: UInt8.self))
        mapped = true
    }

    deinit {
        if mapped {
            munmap(UnsafeMutableRawPointer(mutating: bytes), size)
        } else {
            UnsafeMutablePointer(mutating: bytes).deallocate()
        }
    }
}
