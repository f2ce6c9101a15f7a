/// Writes Server-Sent Events (`text/event-stream`) to a body writer, one flushed write per event.
package struct ServerSentEvents: Sendable {
    let writer: any HTTPBodyWriter

    package init(writer: any HTTPBodyWriter) {
        self.writer = writer
    }

    /// Sends one event: optional `event:` line, one `data:` line per line of `data`, blank line.
    /// - Throws: `HTTPServerError.connectionClosed` once the client is gone.
    package func send(data: String, event: String? = nil, id: String? = nil) async throws {
        try await writer.write(Self.encode(data: data, event: event, id: id))
    }

    /// Sends an SSE comment line (": text"), e.g. as a keep-alive ping.
    package func comment(_ text: String) async throws {
        try await writer.write(Array(": \(text)\n\n".utf8))
    }

    /// The wire form of one event.
    static func encode(data: String, event: String?, id: String?) -> [UInt8] {
        var out = ""
        if let event { out += "event: \(sanitize(event))\n" }
        if let id { out += "id: \(sanitize(id))\n" }
        var lines = data.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.isEmpty { lines = [""] }
        for line in lines {
            out += "data: "
            out += line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            out += "\n"
        }
        out += "\n"
        return Array(out.utf8)
    }

    private static func sanitize(_ s: String) -> String {
        s.filter { $0 != "\n" && $0 != "\r" }
    }
}

extension HTTPResponse {
    /// A streamed `text/event-stream` response; `body` sends events until it returns or throws.
    package static func eventStream(
        status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(),
        _ body: @escaping @Sendable (ServerSentEvents) async throws -> Void
    ) -> HTTPResponse {
        var h = headers
        h.replaceOrAdd(name: "Content-Type", value: "text/event-stream")
        h.replaceOrAdd(name: "Cache-Control", value: "no-cache")
        return HTTPResponse(status: status, headers: h, body: .stream { writer in
            try await body(ServerSentEvents(writer: writer))
        })
    }
}
