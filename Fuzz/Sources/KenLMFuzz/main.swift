// KenLM binary reader fuzzer (header, vocabulary and search sections).
//  - Built with `-Xswiftc -sanitize=fuzzer -Xswiftc -DLIBFUZZER` (Fuzz/kenlm.sh) it hands control
//    to libFuzzer through LLVMFuzzerRunDriver; libFuzzer flags apply.
//  - Built normally it is a standalone randomized harness: `KenLMFuzz <seed-dir> <runs> [seed]`
//    mutates the seed binaries (byte flips, overwritten 32/64-bit fields with extreme values,
//    truncations) and checks each input.
import Foundation

#if LIBFUZZER
import FuzzDriver

runLibFuzzer { KenLMFuzzCheck.check($0) }
#else
let arguments = CommandLine.arguments
let seedPath = arguments.count > 1 ? arguments[1] : "Tests/NGramTests/Fixtures/kenlm"
let runs = arguments.count > 2 ? Int(arguments[2]) ?? 100_000 : 100_000
var generator = KenLMMutator(seed: arguments.count > 3 ? UInt64(arguments[3]) ?? 1 : 0x9E37_79B9_7F4A_7C15)

let names = ((try? FileManager.default.contentsOfDirectory(atPath: seedPath)) ?? []).filter { $0.hasSuffix(".binary") }.sorted()
let seeds = names.compactMap { FileManager.default.contents(atPath: seedPath + "/" + $0).map { Array($0) } }
guard !seeds.isEmpty else {
    FileHandle.standardError.write(Data("KenLMFuzz: no .binary seeds in \(seedPath)\n".utf8))
    exit(2)
}
for i in 0..<runs {
    let input = generator.mutate(seeds[i % seeds.count])
    input.withUnsafeBytes { KenLMFuzzCheck.check($0) }
    if (i + 1) % 10_000 == 0 { print("#\(i + 1) inputs checked") }
}
print("Done: \(runs) inputs from \(seeds.count) seeds, no crash")
#endif
