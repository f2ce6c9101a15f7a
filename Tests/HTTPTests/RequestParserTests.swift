import Testing
@testable import HTTP

/// What a parser run produced: complete messages and the rejection, if any.
struct ParseOutcome: Equatable {
    var messages: [Message] = []
    var error: HTTPParseError?

    struct Message: Equatable {
        var head: RequestHead
        var body: [UInt8]
    }
}

/// Feeds `chunks` in order the way a connection does (caller-owned buffer).
func runParser(_ chunks: [[UInt8]], limits: HTTPLimits = HTTPLimits()) -> ParseOutcome {
    var parser = RequestParser(limits: limits)
    var buffer: [UInt8] = []
    var outcome = ParseOutcome()
    var current: ParseOutcome.Message?
    for chunk in chunks {
        buffer += chunk
        while true {
            let (event, used) = buffer.withUnsafeBytes { parser.parse($0) }
            switch event {
            case .head(let head): current = .init(head: head, body: [])
            case .body(let offset, let count): current?.body += buffer[offset..<offset + count]
            case .end:
                if let current { outcome.messages.append(current) }
                current = nil
            case .needMore: break
            case .reject(let error):
                outcome.error = error
                return outcome
            }
            buffer.removeFirst(used)
            if case .needMore = event { break }
        }
    }
    return outcome
}

/// Whole, byte by byte, and split in two at every offset must all agree.
func checkAllSplits(_ text: String, limits: HTTPLimits = HTTPLimits()) -> ParseOutcome {
    let bytes = Array(text.utf8)
    let whole = runParser([bytes], limits: limits)
    #expect(runParser(bytes.map { [$0] }, limits: limits) == whole, "byte by byte differs for \(text.debugDescription)")
    for cut in 0...bytes.count {
        let split = runParser([Array(bytes[0..<cut]), Array(bytes[cut...])], limits: limits)
        #expect(split == whole, "split at \(cut) differs for \(text.debugDescription)")
    }
    return whole
}

@Suite struct RequestParserTests {
    @Test func simpleGet() {
        let out = checkAllSplits("GET /v1/models?x=1 HTTP/1.1\r\nHost: example\r\nAccept:  */*  \r\n\r\n")
        #expect(out.error == nil)
        #expect(out.messages.count == 1)
        let head = out.messages[0].head
        #expect(head.method == .GET)
        #expect(head.target == "/v1/models?x=1")
        #expect(head.version == .http1_1)
        #expect(head.headers["accept"] == "*/*")
        #expect(head.keepAlive)
        #expect(head.framing == .none)
    }

    @Test func contentLengthBody() {
        let out = checkAllSplits("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world")
        #expect(out.messages.map(\.body) == [Array("hello world".utf8)])
        #expect(out.messages[0].head.framing == .length(11))
    }

    @Test func chunkedBodyWithExtensionsAndTrailers() {
        let text = "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\n"
        let out = checkAllSplits(text)
        #expect(out.error == nil)
        #expect(out.messages.map(\.body) == [Array("hello 0123456789".utf8)])
        #expect(out.messages[0].head.framing == .chunked)
    }

    @Test func pipelinedRequestsInOneBuffer() {
        let one = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"
        let two = "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
        let three = "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
        let out = checkAllSplits(one + two + three + one)
        #expect(out.error == nil)
        #expect(out.messages.map(\.head.target) == ["/a", "/b", "/c", "/a"])
        #expect(out.messages.map { String(decoding: $0.body, as: UTF8.self) } == ["", "abc", "hi", ""])
    }

    @Test func http10AndConnectionTokens() {
        let out = checkAllSplits("GET / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"
            + "GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n")
        #expect(out.messages.map(\.head.keepAlive) == [false, true, false])
        #expect(out.messages[0].head.version == .http1_0)
    }

    @Test func leadingEmptyLinesAsteriskAndAbsoluteForm() {
        let out = checkAllSplits("\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: a\r\n\r\nGET http://a/b?c HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(out.error == nil)
        #expect(out.messages.map(\.head.target) == ["*", "http://a/b?c"])
        #expect(HTTPRequest.splitTarget("http://a/b?c") == ("/b", "c"))
    }

    @Test func expectContinue() {
        let out = checkAllSplits("POST /x HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx")
        #expect(out.messages.first?.head.expectContinue == true)
    }

    static let malformed: [(String, HTTPParseError)] = [
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", .malformed("obsolete line folding")),
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", .malformed("bad field name")),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", .malformed("duplicate Content-Length")),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx", .malformed("duplicate Content-Length")),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", .malformed("Content-Length with Transfer-Encoding")),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", .malformed("bad Content-Length")),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1,1\r\n\r\n", .malformed("bad Content-Length")),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", .malformed("bad Content-Length")),
        ("GET / HTTP/1.1\nHost: a\n\n", .malformed("bare LF")),
        ("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", .malformed("bare CR")),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", .unsupportedVersion),
        ("GET / http/1.1\r\nHost: a\r\n\r\n", .malformed("bad HTTP version")),
        ("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", .malformed("bad HTTP version")),
        ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", .malformed("bad request-target")),
        ("G@T / HTTP/1.1\r\nHost: a\r\n\r\n", .malformed("bad method")),
        (" GET / HTTP/1.1\r\nHost: a\r\n\r\n", .malformed("request line does not start with a method")),
        ("GET foo HTTP/1.1\r\nHost: a\r\n\r\n", .malformed("unsupported request-target form")),
        ("GET / HTTP/1.1\r\n\r\n", .malformed("missing Host")),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .malformed("duplicate Host")),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{01}b\r\n\r\n", .malformed("bad byte in field value")),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .unsupportedTransferEncoding),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", .malformed("chunked is not the final transfer coding")),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .malformed("Transfer-Encoding in HTTP/1.0")),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .malformed("missing chunk size")),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", .malformed("chunk data longer than its size")),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n", .malformed("bad chunk size")),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\rab\r\n", .malformed("bare CR in chunk size")),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFF\r\n", .bodyTooLarge),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0000000000000000001\r\n", .malformed("chunk size too long")),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n bad\r\n\r\n", .malformed("obsolete line folding in trailer")),
    ]

    @Test(arguments: 0..<malformed.count)
    func rejectsMalformed(_ index: Int) {
        let (text, expected) = Self.malformed[index]
        let out = checkAllSplits(text)
        #expect(out.error == expected, "\(text.debugDescription)")
        let status: Int
        switch expected {
        case .unsupportedVersion: status = 505
        case .unsupportedTransferEncoding: status = 501
        case .bodyTooLarge: status = 413
        default: status = 400
        }
        #expect(out.error?.status.code == status)
    }

    @Test func sizeLimits() {
        var limits = HTTPLimits()
        limits.maxHeaderBytes = 200
        limits.maxRequestLineLength = 64
        limits.maxHeaderCount = 5
        limits.maxBodyBytes = 100
        let longLine = "GET /" + String(repeating: "a", count: 100) + " HTTP/1.1\r\nHost: a\r\n\r\n"
        #expect(checkAllSplits(longLine, limits: limits).error == .requestLineTooLong)
        let bigHead = "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "b", count: 300) + "\r\n\r\n"
        #expect(checkAllSplits(bigHead, limits: limits).error == .headerTooLarge)
        let many = "GET / HTTP/1.1\r\nHost: a\r\n" + (0..<6).map { "X\($0): 1\r\n" }.joined() + "\r\n"
        #expect(checkAllSplits(many, limits: limits).error == .headerTooLarge)
        #expect(checkAllSplits("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n", limits: limits).error == .bodyTooLarge)
        let chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + String(repeating: "x", count: 64)
            + "\r\n40\r\n" + String(repeating: "x", count: 64) + "\r\n0\r\n\r\n"
        #expect(checkAllSplits(chunked, limits: limits).error == .bodyTooLarge)
        #expect(HTTPParseError.bodyTooLarge.status == .payloadTooLarge)
        #expect(HTTPParseError.headerTooLarge.status == .requestHeaderFieldsTooLarge)
        // Exactly at the body limit is fine.
        let fits = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n" + String(repeating: "y", count: 100)
        #expect(checkAllSplits(fits, limits: limits).messages.first?.body.count == 100)
    }

    /// Found by the fuzzer: a CR landing exactly at the request-line limit gave a different error
    /// when it was the last byte of a read.
    @Test func crAtTheRequestLineLimitIsSplitIndependent() {
        var limits = HTTPLimits()
        limits.maxRequestLineLength = 20
        for length in 15...26 {
            let line = "GET /" + String(repeating: "a", count: length) + " HTTP/1.1\rX\r\n\r\n"
            _ = checkAllSplits(line, limits: limits)
        }
    }

    @Test func keepsRejectingAfterAnError() {
        var parser = RequestParser()
        let bad = Array("BAD\n".utf8)
        let first = bad.withUnsafeBytes { parser.parse($0) }
        #expect(first.event == .reject(.malformed("bare LF")))
        let again = Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8).withUnsafeBytes { parser.parse($0) }
        #expect(again.event == .reject(.malformed("bare LF")))
    }
}
