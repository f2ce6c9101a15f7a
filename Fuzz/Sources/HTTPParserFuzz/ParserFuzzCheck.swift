import HTTP

/// One fuzz input: parse it whole, byte by byte (short inputs), and split at two input-derived
/// offsets, with tight limits; any disagreement or out-of-range event is a crash.
enum ParserFuzzCheck {
    static let limits: HTTPLimits = {
        var l = HTTPLimits()
        l.maxRequestLineLength = 96
        l.maxHeaderBytes = 256
        l.maxHeaderCount = 8
        l.maxBodyBytes = 512
        return l
    }()

    static func check(_ data: UnsafeRawBufferPointer) {
        let bytes = Array(data)
        let whole = run([bytes])
        if bytes.count <= 512 {
            let single = run(bytes.map { [$0] })
            guard single == whole else { fatalError("byte-by-byte differs from whole") }
        }
        if bytes.count > 1 {
            let a = Int(bytes[0]) % bytes.count
            let b = Int(bytes[bytes.count - 1]) % bytes.count
            let (lo, hi) = (min(a, b), max(a, b))
            let split = run([Array(bytes[0..<lo]), Array(bytes[lo..<hi]), Array(bytes[hi...])])
            guard split == whole else { fatalError("split at \(lo),\(hi) differs from whole") }
        }
    }

    /// A summary of everything the parser reported, for comparing runs.
    struct Outcome: Equatable {
        var heads: [String] = []
        var body: [UInt8] = []
        var ends = 0
        var error: HTTPParseError?
    }

    static func run(_ chunks: [[UInt8]]) -> Outcome {
        var parser = RequestParser(limits: limits)
        var buffer: [UInt8] = []
        var outcome = Outcome()
        for chunk in chunks {
            buffer += chunk
            while true {
                let (event, used) = buffer.withUnsafeBytes { parser.parse($0) }
                guard used >= 0 && used <= buffer.count else { fatalError("consumed \(used) of \(buffer.count)") }
                switch event {
                case .head(let head):
                    outcome.heads.append("\(head.method) \(head.target) \(head.version) \(head.framing) \(head.headers.count)")
                    // Exercise the request helpers on whatever the parser accepted.
                    let request = HTTPRequest(method: head.method, target: head.target, headers: head.headers)
                    _ = request.queryItems
                    _ = HTTPRequest.percentDecode(request.path)
                case .body(let offset, let count):
                    guard offset >= 0, count > 0, offset + count <= used, used <= buffer.count else {
                        fatalError("body range \(offset)+\(count) outside \(used)/\(buffer.count)")
                    }
                    outcome.body += buffer[offset..<offset + count]
                case .end:
                    outcome.ends += 1
                case .needMore:
                    break
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
}
