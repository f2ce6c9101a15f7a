// libFuzzer's entry point, shared by the fuzzers (HTTPParserFuzz, KenLMFuzz). Compiled only in
// the libFuzzer build (`-Xswiftc -sanitize=fuzzer -Xswiftc -DLIBFUZZER`, Fuzz/common.sh).
#if LIBFUZZER
import Foundation

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// The check libFuzzer's C callback calls (a C function pointer cannot capture it). Set once,
/// before libFuzzer starts.
nonisolated(unsafe) private var check: ((UnsafeRawBufferPointer) -> Void)?

/// Hands control to libFuzzer (its flags: -runs=, -max_total_time=, corpus folders), which
/// calls `body` with every input; exits with libFuzzer's status.
public func runLibFuzzer(_ body: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
    check = body
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        check?(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }
    exit(status)
}
#endif
