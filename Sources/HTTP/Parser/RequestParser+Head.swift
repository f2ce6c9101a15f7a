private let CR: UInt8 = 0x0D
private let LF: UInt8 = 0x0A
private let SP: UInt8 = 0x20
private let HTAB: UInt8 = 0x09
private let COLON: UInt8 = 0x3A

/// RFC 9110 `tchar`: the characters allowed in methods and field names.
private let tokenTable: [Bool] = (0..<256).map { b in
    switch UInt8(b) {
    case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
    case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
        UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
        UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
        true
    default: false
    }
}

@inline(__always) func isToken(_ b: UInt8) -> Bool { tokenTable[Int(b)] }

/// Field-value bytes: HTAB, SP, VCHAR, obs-text.
@inline(__always) func isFieldValueByte(_ b: UInt8) -> Bool { b == HTAB || (b >= SP && b != 0x7F) }

extension RequestParser {
    /// Finds the end of the head (incrementally), enforcing line-ending and size rules.
    mutating func scanHead(_ buf: UnsafeRawBufferPointer, scanned: Int, lineEnded: Bool) -> (event: Event, consumed: Int) {
        let n = buf.count
        var start = 0
        var scanned = scanned
        if scanned == 0 {
            // RFC 9112 §2.2: ignore empty lines received before the request line.
            while start + 1 < n && buf[start] == CR && buf[start + 1] == LF { start += 2 }
            scanned = start
        }
        var lineEnded = lineEnded
        var i = scanned
        while i < n {
            let b = buf[i]
            if b == LF {
                guard i > start, buf[i - 1] == CR else { return fail(.malformed("bare LF")) }
                if !lineEnded {
                    lineEnded = true
                    if i - start > limits.maxRequestLineLength + 1 { return fail(.requestLineTooLong) }
                } else if i >= start + 3 && buf[i - 2] == LF {
                    let end = i + 1
                    if end - start > limits.maxHeaderBytes { return fail(.headerTooLarge) }
                    let result = parseHeadSection(UnsafeRawBufferPointer(rebasing: buf[start..<end]))
                    switch result {
                    case .failure(let error): return fail(error)
                    case .success(let head):
                        switch head.framing {
                        case .none, .length(0): state = .endOfMessage
                        case .length(let count): state = .lengthBody(remaining: count)
                        case .chunked: state = .chunkSize(value: 0, digits: 0)
                        }
                        bodyBytes = 0
                        trailerBytes = 0
                        return (.head(head), end)
                    }
                }
            } else if b == CR {
                // A trailing CR is re-checked together with its successor next time.
                if i + 1 == n { break }
                if buf[i + 1] != LF { return fail(.malformed("bare CR")) }
            } else if i == start && !isToken(b) {
                return fail(.malformed("request line does not start with a method"))
            }
            i += 1
            if !lineEnded && i - start > limits.maxRequestLineLength + 2 { return fail(.requestLineTooLong) }
            if i - start > limits.maxHeaderBytes { return fail(.headerTooLarge) }
        }
        state = .head(scanned: i - start, lineEnded: lineEnded)
        return (.needMore, start)
    }

    /// Parses a complete head (request line + fields, ending in the blank line).
    func parseHeadSection(_ buf: UnsafeRawBufferPointer) -> Result<RequestHead, HTTPParseError> {
        let n = buf.count
        // Request line: method SP request-target SP HTTP-version CRLF.
        var i = 0
        while i < n && isToken(buf[i]) { i += 1 }
        guard i > 0, i < n, buf[i] == SP else { return .failure(.malformed("bad method")) }
        let method = HTTPMethod.parse(UnsafeRawBufferPointer(rebasing: buf[0..<i]))
        i += 1
        let targetStart = i
        while i < n && buf[i] > SP && buf[i] < 0x7F { i += 1 }
        guard i > targetStart, i < n, buf[i] == SP else { return .failure(.malformed("bad request-target")) }
        let targetBytes = UnsafeRawBufferPointer(rebasing: buf[targetStart..<i])
        i += 1
        guard i + 10 <= n, buf[i + 8] == CR, buf[i + 9] == LF else { return .failure(.malformed("bad HTTP version")) }
        let version: HTTPVersion
        if buf[i] == 0x48, buf[i + 1] == 0x54, buf[i + 2] == 0x54, buf[i + 3] == 0x50, buf[i + 4] == 0x2F,
            buf[i + 6] == 0x2E, (0x30...0x39).contains(buf[i + 5]), (0x30...0x39).contains(buf[i + 7])
        {
            let major = Int(buf[i + 5] - 0x30), minor = Int(buf[i + 7] - 0x30)
            guard major == 1 && minor <= 1 else { return .failure(.unsupportedVersion) }
            version = HTTPVersion(major: major, minor: minor)
        } else {
            return .failure(.malformed("bad HTTP version"))
        }
        i += 10
        let target = String(decoding: targetBytes, as: UTF8.self)
        switch targetBytes[0] {
        case UInt8(ascii: "/"): break
        case UInt8(ascii: "*"):
            guard targetBytes.count == 1, method == .OPTIONS else { return .failure(.malformed("bad asterisk-form")) }
        default:
            guard target.hasPrefix("http://") || target.hasPrefix("https://") else {
                return .failure(.malformed("unsupported request-target form"))
            }
        }

        // Field lines until the empty line.
        var headers = HTTPHeaders()
        var contentLength: Int?
        var contentLengthCount = 0
        var transferCodings: [Substring] = []
        var hostCount = 0
        while i < n {
            if buf[i] == CR { break }  // the empty line (the scanner guaranteed CRLF follows)
            if buf[i] == SP || buf[i] == HTAB { return .failure(.malformed("obsolete line folding")) }
            let nameStart = i
            while i < n && isToken(buf[i]) { i += 1 }
            guard i > nameStart, i < n, buf[i] == COLON else { return .failure(.malformed("bad field name")) }
            let nameEnd = i
            i += 1
            while i < n && (buf[i] == SP || buf[i] == HTAB) { i += 1 }
            let valueStart = i
            while i < n && buf[i] != CR {
                guard isFieldValueByte(buf[i]) else { return .failure(.malformed("bad byte in field value")) }
                i += 1
            }
            var valueEnd = i
            while valueEnd > valueStart && (buf[valueEnd - 1] == SP || buf[valueEnd - 1] == HTAB) { valueEnd -= 1 }
            i += 2  // CRLF (guaranteed by the scanner)
            guard headers.count < limits.maxHeaderCount else { return .failure(.headerTooLarge) }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: buf[nameStart..<nameEnd]), as: UTF8.self)
            let value = String(decoding: UnsafeRawBufferPointer(rebasing: buf[valueStart..<valueEnd]), as: UTF8.self)
            if HTTPHeaders.equalsIgnoringCase(name, "content-length") {
                contentLengthCount += 1
                guard contentLengthCount == 1 else { return .failure(.malformed("duplicate Content-Length")) }
                guard let length = Self.parseContentLength(buf, valueStart, valueEnd) else {
                    return .failure(.malformed("bad Content-Length"))
                }
                contentLength = length
            } else if HTTPHeaders.equalsIgnoringCase(name, "transfer-encoding") {
                transferCodings += value.split(separator: ",").map { $0.trimmingASCIIWhitespace() }
            } else if HTTPHeaders.equalsIgnoringCase(name, "host") {
                hostCount += 1
            }
            headers.add(name: name, value: value)
        }
        guard hostCount <= 1, hostCount == 1 || version == .http1_0 else {
            return .failure(.malformed(hostCount == 0 ? "missing Host" : "duplicate Host"))
        }

        var framing = BodyFraming.none
        if !transferCodings.isEmpty || headers.contains("Transfer-Encoding") {
            guard contentLength == nil else { return .failure(.malformed("Content-Length with Transfer-Encoding")) }
            guard version != .http1_0 else { return .failure(.malformed("Transfer-Encoding in HTTP/1.0")) }
            guard let last = transferCodings.last, HTTPHeaders.equalsIgnoringCase(last, "chunked") else {
                return .failure(.malformed("chunked is not the final transfer coding"))
            }
            guard transferCodings.count == 1 else { return .failure(.unsupportedTransferEncoding) }
            framing = .chunked
        } else if let contentLength {
            guard contentLength <= limits.maxBodyBytes else { return .failure(.bodyTooLarge) }
            framing = .length(contentLength)
        }

        let keepAlive: Bool
        if version == .http1_1 {
            keepAlive = !headers.containsToken("close", in: "Connection")
        } else {
            keepAlive = headers.containsToken("keep-alive", in: "Connection") && !headers.containsToken("close", in: "Connection")
        }
        var expectContinue = false
        if version == .http1_1, framing != .none, let expect = headers["Expect"] {
            expectContinue = HTTPHeaders.equalsIgnoringCase(expect, "100-continue")
        }
        return .success(
            RequestHead(
                method: method, target: target, version: version, headers: headers, framing: framing,
                keepAlive: keepAlive, expectContinue: expectContinue))
    }

    /// 1*DIGIT with no sign, space or list; nil on overflow (more than 18 digits).
    static func parseContentLength(_ buf: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int? {
        guard end > start, end - start <= 18 else { return nil }
        var value = 0
        for j in start..<end {
            let b = buf[j]
            guard b >= 0x30 && b <= 0x39 else { return nil }
            value = value * 10 + Int(b - 0x30)
        }
        return value
    }
}
