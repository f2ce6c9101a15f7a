/// A strict RFC 9112 request parser: a pure state machine with no I/O.
///
/// The caller owns the input buffer. It calls `parse` with all bytes not yet consumed, drops
/// `consumed` bytes from the front, and calls again until the event is `.needMore` (then it
/// waits for more input and calls again with the remaining bytes plus the new ones) or
/// `.reject` (after which the connection must be answered with the error's status and closed;
/// the parser keeps rejecting). Body events name a range of the buffer passed in that call.
///
/// Per request the events are: `.head`, zero or more `.body`, `.end`.
package struct RequestParser: Sendable {
    package enum Event: Equatable, Sendable {
        case head(RequestHead)
        /// Body bytes at `offset..<offset+count` of the buffer given to this `parse` call.
        case body(offset: Int, count: Int)
        case end
        case needMore
        case reject(HTTPParseError)
    }

    enum State: Equatable {
        /// Looking for the blank line ending the head; `scanned` bytes already checked;
        /// `lineEnded` once the request line's LF has been seen.
        case head(scanned: Int, lineEnded: Bool)
        case lengthBody(remaining: Int)
        case chunkSize(value: Int, digits: Int)
        case chunkExtension(value: Int, length: Int)
        case chunkSizeLF(value: Int)
        case chunkData(remaining: Int)
        case chunkDataCR
        case chunkDataLF
        /// In the trailer section; `lineLength` bytes of the current line seen.
        case trailer(lineLength: Int)
        case trailerLF(lineLength: Int)
        case endOfMessage
        case failed(HTTPParseError)
    }

    package let limits: HTTPLimits
    var state: State = .head(scanned: 0, lineEnded: false)
    /// Body bytes of the current request so far (for the chunked size limit).
    var bodyBytes = 0
    /// Trailer bytes of the current request so far.
    var trailerBytes = 0

    package init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Whether the parser is between requests with nothing buffered (an idle connection).
    package var isAtMessageStart: Bool { state == .head(scanned: 0, lineEnded: false) }

    /// Whether a head is complete but the body is not.
    package var isReadingBody: Bool {
        switch state {
        case .head, .endOfMessage, .failed: false
        default: true
        }
    }

    /// Feeds the unconsumed input; see the type documentation for the protocol.
    package mutating func parse(_ buffer: UnsafeRawBufferPointer) -> (event: Event, consumed: Int) {
        switch state {
        case .failed(let error):
            return (.reject(error), 0)
        case .head(let scanned, let lineEnded):
            return scanHead(buffer, scanned: scanned, lineEnded: lineEnded)
        case .endOfMessage:
            state = .head(scanned: 0, lineEnded: false)
            bodyBytes = 0
            trailerBytes = 0
            return (.end, 0)
        case .lengthBody(let remaining):
            let n = min(remaining, buffer.count)
            if n == 0 { return (.needMore, 0) }
            state = remaining == n ? .endOfMessage : .lengthBody(remaining: remaining - n)
            return (.body(offset: 0, count: n), n)
        default:
            return parseChunked(buffer)
        }
    }

    mutating func fail(_ error: HTTPParseError, consumed: Int = 0) -> (event: Event, consumed: Int) {
        state = .failed(error)
        return (.reject(error), consumed)
    }
}
