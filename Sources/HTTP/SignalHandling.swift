#if canImport(Glibc)
import Glibc
#endif
import Dispatch

/// Turns SIGTERM/SIGINT into a callback (via Dispatch signal sources) for graceful shutdown.
package final class SignalHandling: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []

    /// Ignores the default action of `signals` and calls `handler` with the signal number each
    /// time one arrives. Keep the returned object alive as long as handling is wanted.
    package init(signals: [Int32] = [SIGTERM, SIGINT], queue: DispatchQueue = .global(),
                 handler: @escaping @Sendable (Int32) -> Void) {
        for number in signals {
            _ = signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { handler(number) }
            source.resume()
            sources.append(source)
        }
    }

    /// Stops handling and restores the default actions.
    package func cancel() {
        for source in sources {
            source.cancel()
        }
        sources = []
    }

    deinit {
        cancel()
    }
}
