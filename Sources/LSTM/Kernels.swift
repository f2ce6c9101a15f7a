import CKernels
import LMCore

/// The CPU this process runs on and the path LMServe's own kernels take on it.
///
/// The path is chosen once per process (`CKernels/kernels.c`): the best the CPU and OS support
/// (CPUID and XCR0), unless `LMSERVE_KERNELS=scalar|avx2|avx512` asks for another the CPU can
/// run. A request the CPU cannot run is refused: `note` says so, the startup log warns, and the
/// best supported path runs instead.
package enum Kernels {
    package enum Path: Int, Sendable, Comparable, CaseIterable {
        case scalar = 0, avx2 = 1, avx512 = 2

        package var name: String { String(cString: lmserve_kernels_name(Int32(rawValue))) }
        /// Whether this CPU runs the path's instructions.
        package var isSupported: Bool { lmserve_kernels_supported(Int32(rawValue)) != 0 }
        package static func < (a: Path, b: Path) -> Bool { a.rawValue < b.rawValue }

        /// The packed product of this path (`lmserve_packed_linear_*`), nil if the CPU cannot run it.
        var packedKernel: lmserve_packed_kernel? { lmserve_packed_kernel_for(Int32(rawValue)) }
    }

    /// The path in use.
    package static let path = Path(rawValue: Int(lmserve_kernels_path())) ?? .scalar

    /// Why `LMSERVE_KERNELS` was not followed, if it was set and was not.
    package static let note: String? = lmserve_kernels_note().map { String(cString: $0) }

    /// The CPU's brand string, e.g. "AMD EPYC 9R14 96-Core Processor".
    package static let cpuModel: String = {
        var buffer = [CChar](repeating: 0, count: 64)
        lmserve_cpu_model(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// The instruction sets this CPU and OS run, of those LMServe looks for.
    package static let cpuFeatures: [String] = {
        let names: [(Int, String)] = [
            (LMSERVE_CPU_AVX, "avx"), (LMSERVE_CPU_AVX2, "avx2"), (LMSERVE_CPU_FMA, "fma"),
            (LMSERVE_CPU_AVX512F, "avx512f"), (LMSERVE_CPU_AVX512DQ, "avx512dq"), (LMSERVE_CPU_AVX512CD, "avx512cd"),
            (LMSERVE_CPU_AVX512BW, "avx512bw"), (LMSERVE_CPU_AVX512VL, "avx512vl"),
            (LMSERVE_CPU_AVX512BF16, "avx512bf16"), (LMSERVE_CPU_AMX_BF16, "amx-bf16"),
        ]
        let bits = lmserve_cpu_features()
        return names.filter { Int(bits) & $0.0 != 0 }.map(\.1)
    }()

    /// log Σ exp over `count` floats: AVX-512 on that path, `VectorMath`'s 8 lanes otherwise.
    @inline(__always)
    static func logSumExp(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
        path == .avx512 ? lmserve_logsumexp_avx512(x, count) : VectorMath.logSumExp(x, count)
    }

    /// Replaces `count` logits by their log-softmax, in place (AVX-512 on that path).
    @inline(__always)
    static func logSoftmax(_ x: UnsafeMutablePointer<Float>, _ count: Int) {
        if path == .avx512 {
            lmserve_subtract_avx512(x, count, lmserve_logsumexp_avx512(x, count))
        } else {
            VectorMath.logSoftmax(x, count)
        }
    }
}
