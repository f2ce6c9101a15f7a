#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A small blocking HTTP/1.1 client over one keep-alive connection, for `lmserve bench` and
/// end-to-end tests. Not thread-safe: one connection per thread or task.
package final class HTTPClient {
    /// A whole response.
    package struct Response: Sendable {
        package var status: Int
        package var headers: [(String, String)]
        package var body: [UInt8]

        package func header(_ name: String) -> String? {
            headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
        }
        package var text: String { String(decoding: body, as: UTF8.self) }
    }

    package struct Failure: Error, CustomStringConvertible {
        package var description: String
        package init(description: String) { self.description = description }
    }

    let host: String
    let port: Int
    private let receiveTimeout: Int
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []
    private var start = 0

    /// Connects at once. - Throws: `SocketError` if the connection fails.
    package init(host: String = "127.0.0.1", port: Int, receiveTimeoutSeconds: Int = 60) throws {
        self.host = host
        self.port = port
        self.receiveTimeout = receiveTimeoutSeconds
        _ = signal(SIGPIPE, SIG_IGN)  // a server closing first must be an error, not a kill
        fd = try Syscalls.connect(host: host, port: port, receiveTimeoutSeconds: receiveTimeoutSeconds)
    }

    deinit { if fd >= 0 { Syscalls.close(fd) } }

    package func close() {
        if fd >= 0 { Syscalls.close(fd) }
        fd = -1
    }

    /// Sends a request and reads the whole response (Content-Length, chunked, or until close).
    package func request(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = []
    ) throws -> Response {
        try send(method, path, headers: headers, body: body)
        return try readResponse(head: method == "HEAD")
    }

    /// JSON POST convenience.
    package func post(_ path: String, json: String, headers: [(String, String)] = []) throws -> Response {
        try request("POST", path, headers: [("Content-Type", "application/json")] + headers, body: Array(json.utf8))
    }

    /// Sends a request without reading the answer (for streams: then call `readHead` and
    /// `readChunk`).
    package func send(_ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = []) throws {
        if fd < 0 { fd = try Syscalls.connect(host: host, port: port, receiveTimeoutSeconds: receiveTimeout) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        try writeAll(Array(head.utf8) + body)
    }

    /// Reads a status line and headers.
    package func readHead() throws -> (status: Int, headers: [(String, String)]) {
        while true {
            if let end = find([13, 10, 13, 10]) {
                let text = String(decoding: buffer[start..<end], as: UTF8.self)
                start = end + 4
                var lines = text.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst().split(separator: " ")
                guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw Failure(description: "bad status line") }
                let headers = lines.compactMap { line -> (String, String)? in
                    guard let colon = line.firstIndex(of: ":") else { return nil }
                    return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
                }
                return (status, headers)
            }
            guard try fill() else { throw Failure(description: "connection closed before the response head") }
        }
    }

    /// Reads one chunk of a chunked body; nil at the last chunk.
    package func readChunk() throws -> [UInt8]? {
        let line = try readLine()
        guard let size = Int(line.split(separator: ";")[0].trimmingCharacters(in: .whitespaces), radix: 16) else {
            throw Failure(description: "bad chunk size '\(line)'")
        }
        if size == 0 {
            while try !readLine().isEmpty {}
            return nil
        }
        let data = try readBytes(size)
        _ = try readLine()
        return data
    }

    private func readResponse(head isHead: Bool) throws -> Response {
        var (status, headers) = try readHead()
        while status == 100 { (status, headers) = try readHead() }
        func value(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
        var body: [UInt8] = []
        if isHead || status == 204 || status == 304 {
        } else if value("transfer-encoding")?.lowercased().contains("chunked") == true {
            while let chunk = try readChunk() { body += chunk }
        } else if let length = value("content-length").flatMap(Int.init) {
            body = try readBytes(length)
        } else {
            while try fill() {}
            body = Array(buffer[start...])
            start = buffer.count
        }
        if value("connection")?.lowercased() == "close" { close() }
        compact()
        return Response(status: status, headers: headers, body: body)
    }

    private func readLine() throws -> String {
        while true {
            if let end = find([13, 10]) {
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = end + 2
                return line
            }
            guard try fill() else { throw Failure(description: "connection closed mid-line") }
        }
    }

    private func readBytes(_ n: Int) throws -> [UInt8] {
        while buffer.count - start < n {
            guard try fill() else { throw Failure(description: "connection closed mid-body") }
        }
        let out = Array(buffer[start..<(start + n)])
        start += n
        return out
    }

    private func find(_ pattern: [UInt8]) -> Int? {
        guard buffer.count - start >= pattern.count else { return nil }
        var i = start
        while i <= buffer.count - pattern.count {
            if buffer[i] == pattern[0] && Array(buffer[i..<(i + pattern.count)]) == pattern { return i }
            i += 1
        }
        return nil
    }

    private func compact() {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
    }

    /// Reads more bytes; false at end of stream. - Throws: on error or receive timeout.
    private func fill() throws -> Bool {
        guard fd >= 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let result = try chunk.withUnsafeMutableBytes { raw throws(SocketError) in try Syscalls.read(fd, raw) }
        switch result {
        case .done(0): return false
        case .done(let n):
            buffer.append(contentsOf: chunk[0..<n])
            return true
        case .wouldBlock: throw Failure(description: "timed out waiting for the server")
        }
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let result = try bytes[offset...].withUnsafeBytes { raw throws(SocketError) in try Syscalls.write(fd, raw) }
            guard case .done(let n) = result, n > 0 else { throw Failure(description: "write stalled") }
            offset += n
        }
    }
}
