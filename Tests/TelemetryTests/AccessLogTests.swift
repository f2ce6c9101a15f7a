import Foundation
import Testing
@testable import Telemetry

/// `--access-log json`: one JSON line per record, in order, on a descriptor.
@Suite struct AccessLogTests {
    /// Reads the pipe on a thread of its own (a blocking read must not hold a thread of the
    /// concurrency pool) until its write end closes.
    final class Drain: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var text = ""
        init(_ pipe: Pipe) {
            Thread {
                self.text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                self.done.signal()
            }.start()
        }
        /// Everything read, once the write end has closed.
        var value: String {
            done.wait()
            return text
        }
    }

    @Test func oneLinePerRecordInOrder() throws {
        let pipe = Pipe()
        let log = JSONAccessLog(descriptor: pipe.fileHandleForWriting.fileDescriptor)
        let records = (0..<500).map { makeRecord($0) }
        let reader = Drain(pipe)  // keeps the pipe from filling up
        records.forEach(log.record)
        log.flush()
        try pipe.fileHandleForWriting.close()
        let lines = reader.value.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == records.count + 1 && lines.last == "")
        #expect(try lines.dropLast().map { try RequestLogJSON.decodeRecord(String($0)) } == records)
        #expect(lines.first.map(String.init) == RequestLogJSON.line(records[0]))
        #expect(log.droppedLines == 0)
    }

    @Test func aReaderFarBehindLosesLinesNotTheServer() throws {
        let pipe = Pipe()
        // Nobody reads: the pipe fills, the writer blocks, and beyond `capacity` lines waiting
        // `record` drops instead of waiting.
        let log = JSONAccessLog(descriptor: pipe.fileHandleForWriting.fileDescriptor, capacity: 100)
        let big = RequestRecord(
            requestID: "x", time: 1, route: "/v1/completions", status: 200, latencyMs: 1,
            outputText: String(repeating: "w", count: 100_000))
        for _ in 0..<1000 { log.record(big) }
        #expect(log.droppedLines > 0)
        let reader = Drain(pipe)
        log.flush()
        try pipe.fileHandleForWriting.close()
        let written = reader.value.split(separator: "\n").count
        #expect(written >= 100)
        #expect(written + log.droppedLines == 1000)
    }
}
