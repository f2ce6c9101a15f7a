// Request-parser fuzzer.
//  - Built with `-Xswiftc -sanitize=fuzzer -Xswiftc -DLIBFUZZER` (see Fuzz/run.sh) it hands control
//    to libFuzzer through LLVMFuzzerRunDriver; libFuzzer flags (-runs=, -max_total_time=, corpus
//    directories) apply.
//  - Built normally it is a standalone randomized harness: `HTTPParserFuzz <corpus-dir> <runs> [seed]`
//    mutates the corpus files (flips, inserts of HTTP tokens, splices) and checks each input.
import Foundation
import HTTP

#if LIBFUZZER
import FuzzDriver

runLibFuzzer { ParserFuzzCheck.check($0) }
#else
let arguments = CommandLine.arguments
let corpusPath = arguments.count > 1 ? arguments[1] : "Fuzz/corpus"
let runs = arguments.count > 2 ? Int(arguments[2]) ?? 1_000_000 : 1_000_000
var state: UInt64 = arguments.count > 3 ? UInt64(arguments[3]) ?? 1 : 0x9E37_79B9_7F4A_7C15

@MainActor func next() -> UInt64 {  // splitmix64
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

let files = (try? FileManager.default.contentsOfDirectory(atPath: corpusPath)) ?? []
var seeds = files.sorted().compactMap { FileManager.default.contents(atPath: corpusPath + "/" + $0).map { Array($0) } }
if seeds.isEmpty { seeds = [Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)] }
let tokens: [[UInt8]] = [
    "\r\n", "\r", "\n", " ", "\t", ":", "0\r\n\r\n", "Content-Length: ", "Transfer-Encoding: chunked\r\n",
    "Host: a\r\n", "HTTP/1.1", "HTTP/1.0", "chunked", "ffffffffffffffff", ";ext=1", "\u{0}", "%", "?", "GET ",
    "POST ", "Expect: 100-continue\r\n", "Connection: close\r\n", "\r\n\r\n", "-1", "1,1",
].map { Array($0.utf8) }

var input: [UInt8] = []
for i in 0..<runs {
    input = seeds[Int(next() % UInt64(seeds.count))]
    for _ in 0..<(1 + Int(next() % 6)) {
        let position = input.isEmpty ? 0 : Int(next() % UInt64(input.count + 1))
        switch next() % 6 {
        case 0 where !input.isEmpty: input[min(position, input.count - 1)] ^= UInt8(truncatingIfNeeded: 1 << (next() % 8))
        case 1: input.insert(contentsOf: tokens[Int(next() % UInt64(tokens.count))], at: position)
        case 2 where !input.isEmpty: input.removeSubrange(position..<min(input.count, position + 1 + Int(next() % 16)))
        case 3:
            let other = seeds[Int(next() % UInt64(seeds.count))]
            let from = other.isEmpty ? 0 : Int(next() % UInt64(other.count))
            input.insert(contentsOf: other[from...].prefix(64), at: position)
        case 4 where !input.isEmpty: input[min(position, input.count - 1)] = UInt8(truncatingIfNeeded: next())
        default: input.append(contentsOf: tokens[Int(next() % UInt64(tokens.count))])
        }
    }
    input.withUnsafeBytes { ParserFuzzCheck.check($0) }
    if (i + 1) % 200_000 == 0 { print("\(i + 1) inputs") }
}
print("done: \(runs) inputs, no crash")
#endif
