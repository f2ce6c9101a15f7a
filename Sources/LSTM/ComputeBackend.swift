import CKernels
import Foundation
import LMCore
import Logging
import Synchronization

/// What runs an LSTM's arithmetic in this process: the BLAS, the core (kernel set) it runs,
/// and the path of LMServe's own kernels (`Kernels`). Read once; none of it changes while the
/// process runs.
package struct ComputeBackend: Sendable, Equatable {
    /// Who chose OpenBLAS's core (`lmserve_blas_core_startup`, CKernels/blas_core.c).
    package enum CoreOrigin: String, Sendable {
        /// OpenBLAS, and it is as good as this CPU allows (or the program did not ask).
        case openblas
        /// The user's `OPENBLAS_CORETYPE`.
        case user
        /// LMServe: OpenBLAS had chosen a weaker core, so the process started again with this one.
        case lmserve
        /// LMServe's choice failed its check against plain sums; OpenBLAS's own choice runs.
        case rejected
    }

    package var blas = "openblas"
    /// OpenBLAS's core, e.g. `Cooperlake` (`openblas_get_corename`).
    package var core: String
    package var coreOrigin: CoreOrigin
    /// The best core for this CPU by CPUID and XCR0 (nil off x86-64).
    package var coreForCPU: String?
    package var kernels: Kernels.Path

    package static let current = ComputeBackend(
        core: BLASLibrary.coreName,
        coreOrigin: [.openblas, .user, .lmserve, .rejected][Int(min(3, max(0, lmserve_blas_core_origin())))],
        coreForCPU: lmserve_blas_core_for_cpu().map { String(cString: $0) },
        kernels: Kernels.path)

    /// Makes OpenBLAS's core agree with the CPU: call first thing in `main`, before any thread
    /// starts. May replace the process (execv, same pid and arguments) with one that has
    /// `OPENBLAS_CORETYPE` set for OpenBLAS's constructor; see CKernels/blas_core.c.
    package static func chooseBLASCore() {
        var arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        lmserve_blas_core_startup(&arguments)
        for pointer in arguments { free(pointer) }
    }

    /// `blas=openblas core=Cooperlake kernels=avx512`, as the startup log, `/v1/models` and
    /// `lmserve bench-lstm` show it.
    package var summary: String { "blas=\(blas) core=\(core) kernels=\(kernels.name)" }

    /// Logs the backend once per process (info), and a refused `LMSERVE_KERNELS` (warning).
    package func logOnce(_ logger: Logger) {
        Self.logged.withLock { done in
            guard !done else { return }
            done = true
            logger.info(
                "compute backend",
                metadata: [
                    "blas": "\(blas)", "core": "\(core)", "kernels": "\(kernels.name)", "cpu": "\(Kernels.cpuModel)",
                    "isa": "\(Kernels.cpuFeatures.joined(separator: ","))",
                ])
            if let note = Kernels.note { logger.warning("\(note)") }
            let rank = lmserve_blas_core_rank(core)
            if let best = coreForCPU, rank >= 0, rank != lmserve_blas_core_rank(best) {
                let why = switch coreOrigin {
                case .user: "OPENBLAS_CORETYPE asks for it"
                case .rejected: "\(best) failed LMServe's check against plain sums"
                case .openblas, .lmserve: "OpenBLAS chose it"
                }
                let effect = rank > lmserve_blas_core_rank(best)
                    ? "this CPU cannot run all of its instructions"
                    : kernels == .scalar ? "the LSTM's products run at that core's speed"
                    : "LMServe's own \(kernels.name) kernels run the LSTM's products, BLAS the rest (training)"
                logger.warning("OpenBLAS runs \(core) kernels, this CPU's best is \(best): \(why); \(effect)")
            }
        }
    }

    private static let logged = Mutex(false)
}
