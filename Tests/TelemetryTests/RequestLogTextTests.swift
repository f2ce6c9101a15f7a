import Foundation
import Testing
@testable import Telemetry

@Suite struct RequestLogTextTests {
    @Test func logTableHasOneLinePerRecord() {
        var tricky = makeRecord(4)
        tricky.errorType = "bad\u{0}news\nsecond line"
        let text = RequestLogText.table([makeRecord(0), makeRecord(1), tricky])
        let lines = text.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("TIME (UTC)"))
        #expect(lines[1].split(separator: " ", omittingEmptySubsequences: true).prefix(6) == ["2023-11-14", "22:13:20.000", "req-0", "/v1/perplexity", "kenlm-5", "200"])
        #expect(lines[3].hasSuffix(#"bad\u{0}news\u{a}second line"#))
        #expect(RequestLogText.table([]).split(separator: "\n").count == 1)
    }

    @Test func statsTableListsEveryGroup() {
        var samples: [RequestStats.Sample] = []
        for index in 0..<20 {
            let route = index % 2 == 0 ? "/a" : "/b"
            let model: String? = index % 4 == 0 ? nil : "m"
            let status = index == 3 ? 503 : 200
            samples.append(.init(time: 0, route: route, model: model, status: status, latencyMs: Double(index), tokens: 10))
        }
        let stats = RequestStats(samples: samples)
        let text = RequestLogText.table(stats)
        #expect(text.contains("all     20       1       5.00%"))
        #expect(text.contains("\n/a   "))
        #expect(text.contains("\n/b   "))
        #expect(text.contains("\n-    "))
        #expect(text.contains("\nm    "))
    }
}
