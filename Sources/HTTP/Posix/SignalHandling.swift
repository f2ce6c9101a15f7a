#if canImport(Glibc)
import Glibc
#endif
import CShims
import Dispatch

/// Turns SIGTERM/SIGINT into a callback for graceful shutdown.
///
/// A `sigaction` handler (CShims) writes each signal's number to a self-pipe, and a Dispatch
/// read source on that pipe calls `handler` on `queue`. The handler is installed before `init`
/// returns, so no signal sent afterwards is lost (a Dispatch signal source alone installs its
/// handler asynchronously).
package final class SignalHandling: @unchecked Sendable {  // `source` is set in init and only cancelled in deinit
    private let signals: [Int32]
    private var source: (any DispatchSourceRead)?

    /// Calls `handler` with the signal number each time one of `signals` arrives. Keep the
    /// returned object alive as long as handling is wanted. Use one instance per process (the
    /// self-pipe is shared).
    package init(signals: [Int32] = [SIGTERM, SIGINT], queue: DispatchQueue = .global(),
                 handler: @escaping @Sendable (Int32) -> Void) {
        self.signals = signals
        var fd: Int32 = -1
        for number in signals { fd = lmserve_signal_pipe_install(number) }
        guard fd >= 0 else { return }
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler {
            var bytes = [UInt8](repeating: 0, count: 64)
            while true {
                let result = bytes.withUnsafeMutableBytes { try? Syscalls.read(fd, $0) }
                guard case .done(let n)? = result, n > 0 else { break }
                for b in bytes[0..<n] where signals.contains(Int32(b)) { handler(Int32(b)) }
            }
        }
        source.resume()
        self.source = source
    }

    /// Stops handling and restores the default actions.
    package func cancel() {
        source?.cancel()
        source = nil
        for number in signals { lmserve_signal_restore(number) }
    }

    deinit {
        cancel()
    }
}
