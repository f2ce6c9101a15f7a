import Foundation

/// `--access-log json`: one JSON line per request (the request log's columns, as
/// `lmserve logs --json` prints them) on a file descriptor, stdout by default, for Loki or
/// Fluent Bit. Texts are in the record only when the server logs texts (`log_text`); a record
/// holds no API keys.
///
/// `record(_:)` never blocks: lines are written in order on a queue of their own. If the reader
/// of the descriptor falls behind by `capacity` lines, new lines are dropped and counted.
package final class JSONAccessLog: RequestLogSink, @unchecked Sendable {
    private let descriptor: Int32
    private let capacity: Int
    private let queue = DispatchQueue(label: "lmserve.access-log")
    private let lock = NSLock()
    private var pending = 0
    private var dropped = 0

    /// - Parameters:
    ///   - descriptor: where lines go (stays open; not closed here).
    ///   - capacity: most lines waiting to be written.
    package init(descriptor: Int32 = STDOUT_FILENO, capacity: Int = 65_536) {
        self.descriptor = descriptor
        self.capacity = capacity
    }

    package func record(_ record: RequestRecord) {
        let admitted = lock.withLock {
            guard pending < capacity else {
                dropped += 1
                return false
            }
            pending += 1
            return true
        }
        guard admitted else { return }
        queue.async { [self] in
            var bytes = Array(RequestLogJSON.line(record).utf8)
            bytes.append(UInt8(ascii: "\n"))
            writeAll(bytes)
            lock.withLock { pending -= 1 }
        }
    }

    /// Lines dropped because the reader fell `capacity` lines behind.
    package var droppedLines: Int { lock.withLock { dropped } }

    /// Waits until every admitted line has been written.
    package func flush() { queue.sync {} }

    private func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    return  // a closed or broken descriptor: the line is lost, the server goes on
                }
            }
        }
    }
}

/// Hands each record to several sinks (the SQLite request log and the access log).
package struct TeeRequestLogSink: RequestLogSink {
    package let sinks: [any RequestLogSink]
    package init(_ sinks: [any RequestLogSink]) { self.sinks = sinks }
    package func record(_ record: RequestRecord) {
        for sink in sinks { sink.record(record) }
    }
}
