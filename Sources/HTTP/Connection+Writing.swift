#if canImport(Glibc)
import Glibc
#endif

extension Connection {
    /// Sends up to three buffers, in one `writev` when nothing is queued; whatever the socket
    /// does not take is queued and sent when it becomes writable.
    func send(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
              _ c: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) {
        guard !closed else { return }
        let total = a.count + b.count + c.count
        guard total > 0 else { return }
        var written = 0
        if outputStart == output.count {
            switch writeDirect(a, b, c, total: total) {
            case .some(let n): written = n
            case .none: close(); return
            }
            if written > 0 { machine.wrote(now: server.clock()) }
        }
        if written < total {
            var skip = written
            for part in [a, b, c] where part.count > 0 {
                if skip >= part.count {
                    skip -= part.count
                    continue
                }
                output.append(contentsOf: UnsafeRawBufferPointer(rebasing: part[skip...]))
                skip = 0
            }
            perform(machine.outputBlocked(now: server.clock()))
            updateInterest()
        }
    }

    /// Queues bytes from a sequence (small control messages like `100 Continue`).
    func enqueueOutput<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        let array = Array(bytes)
        array.withUnsafeBytes { send($0) }
    }

    /// One `writev` (or TLS write) attempt; nil when the connection failed.
    private func writeDirect(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, _ c: UnsafeRawBufferPointer,
                             total: Int) -> Int? {
        if let tls {
            if b.count == 0 && c.count == 0 { return tlsWrite(tls, a) }
            var joined: [UInt8] = []
            joined.reserveCapacity(total)
            joined.append(contentsOf: a)
            joined.append(contentsOf: b)
            joined.append(contentsOf: c)
            return joined.withUnsafeBytes { tlsWrite(tls, $0) }
        }
        var iov = (
            iovec(iov_base: UnsafeMutableRawPointer(mutating: a.baseAddress), iov_len: a.count),
            iovec(iov_base: UnsafeMutableRawPointer(mutating: b.baseAddress), iov_len: b.count),
            iovec(iov_base: UnsafeMutableRawPointer(mutating: c.baseAddress), iov_len: c.count)
        )
        let count: Int32 = c.count > 0 ? 3 : (b.count > 0 ? 2 : 1)
        return withUnsafePointer(to: &iov) { p in
            p.withMemoryRebound(to: iovec.self, capacity: 3) { vec in
                do {
                    switch try socket.writev(vec, count) {
                    case .done(let n): return n
                    case .wouldBlock: return 0
                    }
                } catch {
                    return nil
                }
            }
        }
    }

    private func tlsWrite(_ tls: TLSSession, _ buffer: UnsafeRawBufferPointer) -> Int? {
        var offset = 0
        while offset < buffer.count {
            switch tls.write(UnsafeRawBufferPointer(rebasing: buffer[offset...])) {
            case .bytes(let n): offset += n
            case .wantRead, .wantWrite: return offset
            case .closed, .failed: return nil
            }
        }
        return offset
    }

    /// Writes queued output; on completion wakes a waiting body writer and performs a pending
    /// close. Loop thread (writable event or after queueing).
    func flush() {
        while !closed && outputStart < output.count {
            let written: Int? = output.withUnsafeBytes { all in
                writeDirect(UnsafeRawBufferPointer(rebasing: all[outputStart...]),
                            UnsafeRawBufferPointer(start: nil, count: 0), UnsafeRawBufferPointer(start: nil, count: 0),
                            total: all.count - outputStart)
            }
            guard let written else { close(); return }
            if written == 0 { break }
            outputStart += written
            machine.wrote(now: server.clock())
        }
        guard !closed else { return }
        if outputStart == output.count {
            outputStart = 0
            if output.capacity > 1 << 20 { output = [] } else { output.removeAll(keepingCapacity: true) }
            wakeDrainWaiters()
            perform(machine.outputFlushed(now: server.clock()))
        } else if !drainWaiters.isEmpty && bufferedOutput <= server.limits.writeHighWatermark / 2 {
            wakeDrainWaiters()
        }
        updateInterest()
    }

    /// Bytes accepted but not yet written to the socket.
    var bufferedOutput: Int { output.count - outputStart }

    private func wakeDrainWaiters() {
        guard !drainWaiters.isEmpty else { return }
        let waiters = drainWaiters
        drainWaiters = []
        for waiter in waiters { waiter(nil) }
    }

    /// Calls `done` once at most half the high watermark is buffered (nil) or the connection
    /// has closed (`HTTPServerError.connectionClosed`). Loop thread.
    func whenDrained(_ done: @escaping ((any Error)?) -> Void) {
        if closed {
            done(HTTPServerError.connectionClosed)
        } else if bufferedOutput <= server.limits.writeHighWatermark {
            done(nil)
        } else {
            drainWaiters.append(done)
        }
    }

    /// Suspends while more than the high watermark is queued. Loop thread.
    /// - Throws: `HTTPServerError.connectionClosed` once the connection closed.
    func waitForDrain() async throws {
        if bufferedOutput > server.limits.writeHighWatermark && !closed {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                whenDrained { error in
                    if let error { c.resume(throwing: error) } else { c.resume() }
                }
            }
        }
        if closed { throw HTTPServerError.connectionClosed }
    }

    /// Queues one body chunk (chunked framing when `chunked`). Loop thread.
    /// - Throws: `HTTPServerError.connectionClosed` once the connection closed.
    func sendBodyChunk(_ bytes: [UInt8], chunked: Bool) throws {
        if closed { throw HTTPServerError.connectionClosed }
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { body in
            if chunked {
                let prefix = ResponseEncoder.chunkPrefix(bytes.count)
                prefix.withUnsafeBytes { p in
                    ResponseEncoder.crlf.withUnsafeBytes { crlf in send(p, body, crlf) }
                }
            } else {
                send(body)
            }
        }
        if closed { throw HTTPServerError.connectionClosed }
    }

    /// After the last response (the machine's `.halfClose`): shut our side and keep draining
    /// the peer's input briefly before closing, so the client reads the response instead of
    /// getting a reset.
    func halfClose() {
        guard !closed else { return }
        if let tls { tls.shutdown() }
        socket.shutdownWrite()
        updateInterest()
    }
}

/// The body writer handed to streaming responses: each write is one chunk on the wire.
struct ConnectionBodyWriter: HTTPBodyWriter {
    let connection: Connection
    /// false for HTTP/1.0 clients (raw bytes, end marked by closing).
    let chunked: Bool

    func write(_ bytes: [UInt8]) async throws {
        try Task.checkCancellation()
        let connection = self.connection
        let chunked = self.chunked
        if connection.context.loop.inLoop {
            try connection.sendBodyChunk(bytes, chunked: chunked)
            try await connection.waitForDrain()
            return
        }
        // Called from a Task without the loop as executor: do the work on the loop.
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            connection.context.loop.execute {
                do {
                    try connection.sendBodyChunk(bytes, chunked: chunked)
                    connection.whenDrained { error in
                        if let error { c.resume(throwing: error) } else { c.resume() }
                    }
                } catch {
                    c.resume(throwing: error)
                }
            }
        }
    }
}
