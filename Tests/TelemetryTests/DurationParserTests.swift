import Testing
@testable import Telemetry

@Suite struct DurationParserTests {
    @Test(arguments: [
        ("45s", 45.0), ("30m", 1800), ("1h", 3600), ("7d", 604_800), ("2w", 1_209_600), ("250ms", 0.25),
        ("1h30m", 5400), ("1.5h", 5400), (" 10s ", 10), ("0s", 0), ("1D", 86_400),
    ])
    func parses(_ text: String, _ seconds: Double) throws {
        #expect(try DurationParser.seconds(text) == seconds)
    }

    @Test(arguments: ["", "h", "10", "10x", "-5m", "1h30", "1..5s", "ten s", "5 m", "1e3s", "999999999999w"])
    func rejects(_ text: String) {
        let error = #expect(throws: DurationParser.ParseError.self) { try DurationParser.seconds(text) }
        #expect(error?.description.contains("invalid duration") == true)
    }

    @Test func durationValue() throws {
        #expect(try DurationParser.duration("1m") == .seconds(60))
        #expect(try DurationParser.duration("5ms") == .milliseconds(5))
    }
}
