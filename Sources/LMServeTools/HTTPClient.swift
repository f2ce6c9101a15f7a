#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A small blocking HTTP/1.1 client over one keep-alive connection, for `lmserve bench` and
/// end-to-end tests. Not thread-safe: one connection per thread or task. It owns its
/// descriptor (`BlockingSocket`) and shares no code with the server's non-blocking sockets.
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
    private var socket: BlockingSocket?
    private var buffer: [UInt8] = []
    private var start = 0

    /// Connects at once. - Throws: `Failure` if the connection fails.
    package init(host: String = "127.0.0.1", port: Int, receiveTimeoutSeconds: Int = 60) throws {
        self.host = host
        self.port = port
        self.receiveTimeout = receiveTimeoutSeconds
        _ = signal(SIGPIPE, SIG_IGN)  // a server closing first must be an error, not a kill
        socket = try BlockingSocket(host: host, port: port, receiveTimeoutSeconds: receiveTimeoutSeconds)
    }

    /// Closes the connection; the next `send` opens a new one.
    package func close() { socket = nil }

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
        if socket == nil { socket = try BlockingSocket(host: host, port: port, receiveTimeoutSeconds: receiveTimeout) }
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
        guard let socket else { return false }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = try chunk.withUnsafeMutableBytes { try socket.read(into: $0) }
        guard n > 0 else { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        guard let socket else { throw Failure(description: "not connected") }
        var offset = 0
        while offset < bytes.count {
            let n = try bytes[offset...].withUnsafeBytes { try socket.write($0) }
            guard n > 0 else { throw Failure(description: "write stalled") }
            offset += n
        }
    }
}

/// One blocking TCP connection (numeric IPv4 or IPv6, `localhost`) with TCP_NODELAY and a
/// receive timeout; the descriptor is closed exactly once, when the value is released.
final class BlockingSocket {
    private let fd: Int32

    init(host: String, port: Int, receiveTimeoutSeconds: Int) throws {
        var v4 = sockaddr_in()
        var v6 = sockaddr_in6()
        let isV6 = host.contains(":")
        if isV6 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = UInt16(port).bigEndian
            guard inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 else { throw HTTPClient.Failure(description: "bad IPv6 address \(host)") }
        } else {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = UInt16(port).bigEndian
            let name = host == "localhost" ? "127.0.0.1" : host
            guard inet_pton(AF_INET, name, &v4.sin_addr) == 1 else { throw HTTPClient.Failure(description: "bad IPv4 address \(host)") }
        }
        let fd = Glibc.socket(isV6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Self.failure("socket") }
        var tv = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
        var one: Int32 = 1
        _ = Glibc.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        _ = Glibc.setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let connected = Self.retrying {
            isV6
                ? withUnsafePointer(to: &v6) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
                }
                : withUnsafePointer(to: &v4) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
        }
        guard connected == 0 else {
            let error = Self.failure("connect to \(host):\(port)")
            Glibc.close(fd)
            throw error
        }
        self.fd = fd
    }

    deinit { Glibc.close(fd) }

    /// `read(2)`: the byte count, 0 at end of stream. - Throws: on error or receive timeout.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = Self.retrying { Glibc.read(fd, buffer.baseAddress, buffer.count) }
        if n < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK { throw HTTPClient.Failure(description: "timed out waiting for the server") }
            throw Self.failure("read")
        }
        return n
    }

    /// `write(2)`: the byte count written.
    func write(_ buffer: UnsafeRawBufferPointer) throws -> Int {
        let n = Self.retrying { Glibc.write(fd, buffer.baseAddress, buffer.count) }
        guard n >= 0 else { throw Self.failure("write") }
        return n
    }

    /// Runs `call` again while it fails with EINTR.
    private static func retrying<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let r = call()
            if r >= 0 || errno != EINTR { return r }
        }
    }

    private static func failure(_ call: String) -> HTTPClient.Failure {
        HTTPClient.Failure(description: "\(call): \(String(cString: strerror(errno)))")
    }
}
