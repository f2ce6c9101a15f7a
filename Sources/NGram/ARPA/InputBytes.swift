import CZlib

/// Reads a model text file whole, decompressing gzip (recognised by its magic bytes, not its
/// name). A NUL byte follows the returned bytes so parsers may look one past the end.
enum InputBytes {
    static func isGzip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// The text of `path` (plain or gzip) followed by one NUL.
    /// - Throws: `ARPAError.unreadable` for I/O errors or a damaged/truncated gzip stream.
    static func read(path: String) throws -> [UInt8] {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch let e as MappedFileError {
            throw ARPAError.unreadable(file: path, reason: e.reason)
        }
        if isGzip(file.bytes) { return try gunzip(file.bytes, path: path) }
        var out = [UInt8](file.bytes)
        out.append(0)
        return out
    }

    /// Inflates every gzip member of `input`.
    static func gunzip(_ input: UnsafeRawBufferPointer, path: String) throws -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(input.count * 4)
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ARPAError.unreadable(file: path, reason: "zlib initialisation failed")
        }
        defer { inflateEnd(&stream) }
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        var consumed = 0
        var finished = false
        while consumed < input.count {
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: UInt8.self) + consumed)
            stream.avail_in = UInt32(min(input.count - consumed, Int(UInt32.max)))
            let before = stream.avail_in
            var status: Int32 = Z_OK
            repeat {
                status = buffer.withUnsafeMutableBufferPointer { b -> Int32 in
                    stream.next_out = b.baseAddress
                    stream.avail_out = UInt32(chunk)
                    let s = inflate(&stream, Z_NO_FLUSH)
                    out.append(contentsOf: b.prefix(chunk - Int(stream.avail_out)))
                    return s
                }
            } while status == Z_OK && (stream.avail_in > 0 || stream.avail_out == 0)
            consumed += Int(before - stream.avail_in)
            switch status {
            case Z_STREAM_END:
                finished = true
                // Another gzip member may follow (concatenated files); trailing zeros are padding.
                let rest = input[consumed...]
                if rest.allSatisfy({ $0 == 0 }) { consumed = input.count } else {
                    finished = false
                    inflateReset(&stream)
                }
            case Z_OK, Z_BUF_ERROR:
                if stream.avail_in == 0 && consumed >= input.count { break }
                throw ARPAError.unreadable(file: path, reason: "damaged gzip stream")
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "code \(status)"
                throw ARPAError.unreadable(file: path, reason: "damaged gzip stream (\(message))")
            }
        }
        guard finished else {
            throw ARPAError.unreadable(file: path, reason: "the gzip stream ends early (truncated file)")
        }
        out.append(0)
        return out
    }
}
