private let CR: UInt8 = 0x0D
private let LF: UInt8 = 0x0A

/// Longest chunk extension accepted (bytes after the size, before CRLF).
private let maxChunkExtension = 4096

extension RequestParser {
    /// Runs the chunked-coding state machine (RFC 9112 §7.1) over `buf` until it finds chunk
    /// data, the end of the message, an error, or the end of the input.
    mutating func parseChunked(_ buf: UnsafeRawBufferPointer) -> (event: Event, consumed: Int) {
        let n = buf.count
        var i = 0
        while true {
            switch state {
            case .chunkData(let remaining):
                let count = min(remaining, n - i)
                if count == 0 { return (.needMore, i) }
                state = remaining == count ? .chunkDataCR : .chunkData(remaining: remaining - count)
                return (.body(offset: i, count: count), i + count)
            case .endOfMessage:
                return (.needMore, i)  // unreachable: handled before calling in
            default:
                break
            }
            guard i < n else { return (.needMore, i) }
            let b = buf[i]
            i += 1
            switch state {
            case .chunkSize(let value, let digits):
                if let d = HTTPRequest.hexValue(b) {
                    guard digits < 15 else { return fail(.malformed("chunk size too long")) }
                    let v = value << 4 | Int(d)
                    guard bodyBytes + v <= limits.maxBodyBytes else { return fail(.bodyTooLarge) }
                    state = .chunkSize(value: v, digits: digits + 1)
                } else if digits == 0 {
                    return fail(.malformed("missing chunk size"))
                } else if b == CR {
                    state = .chunkSizeLF(value: value)
                } else if b == UInt8(ascii: ";") || b == 0x20 || b == 0x09 {
                    state = .chunkExtension(value: value, length: 1)
                } else {
                    return fail(.malformed("bad chunk size"))
                }
            case .chunkExtension(let value, let length):
                if b == CR {
                    state = .chunkSizeLF(value: value)
                } else if b == LF || (b < 0x20 && b != 0x09) || b == 0x7F {
                    return fail(.malformed("bad chunk extension"))
                } else {
                    guard length < maxChunkExtension else { return fail(.malformed("chunk extension too long")) }
                    state = .chunkExtension(value: value, length: length + 1)
                }
            case .chunkSizeLF(let value):
                guard b == LF else { return fail(.malformed("bare CR in chunk size")) }
                if value == 0 {
                    state = .trailer(lineLength: 0)
                } else {
                    bodyBytes += value
                    state = .chunkData(remaining: value)
                }
            case .chunkDataCR:
                guard b == CR else { return fail(.malformed("chunk data longer than its size")) }
                state = .chunkDataLF
            case .chunkDataLF:
                guard b == LF else { return fail(.malformed("bare CR after chunk data")) }
                state = .chunkSize(value: 0, digits: 0)
            case .trailer(let lineLength):
                trailerBytes += 1
                guard trailerBytes <= limits.maxHeaderBytes else { return fail(.headerTooLarge) }
                if b == CR {
                    state = .trailerLF(lineLength: lineLength)
                } else if lineLength == 0 && (b == 0x20 || b == 0x09) {
                    return fail(.malformed("obsolete line folding in trailer"))
                } else if lineLength == 0 && !isToken(b) {
                    return fail(.malformed("bad trailer field"))
                } else if !isFieldValueByte(b) {
                    return fail(.malformed("bad byte in trailer"))
                } else {
                    state = .trailer(lineLength: lineLength + 1)
                }
            case .trailerLF(let lineLength):
                guard b == LF else { return fail(.malformed("bare CR in trailer")) }
                if lineLength == 0 {
                    return parseEnd(consumed: i)
                }
                state = .trailer(lineLength: 0)
            default:
                preconditionFailure("parseChunked in state \(state)")
            }
        }
    }

    private mutating func parseEnd(consumed: Int) -> (event: Event, consumed: Int) {
        state = .head(scanned: 0, lineEnded: false)
        bodyBytes = 0
        trailerBytes = 0
        return (.end, consumed)
    }
}
