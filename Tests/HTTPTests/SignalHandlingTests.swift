#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import HTTP

@Suite struct SignalHandlingTests {
    @Test func deliversSignalsToTheHandler() async throws {
        let seen = Recorder<Int32>()
        let handling = SignalHandling(signals: [SIGUSR2]) { seen.append($0) }
        kill(getpid(), SIGUSR2)
        #expect(await eventually { seen.all == [SIGUSR2] })
        handling.cancel()
    }
}
