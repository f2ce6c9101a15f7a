import Foundation
import HTTP
import LMServeTools
import SchedulerTesting
import Telemetry
import Testing
@testable import Server

/// Token buckets per key (per client address without keys), refilled on a manual clock.
@Suite struct RateLimitTests {
    @Test func bucketRefillsOnTheClockAndGoesIntoDebt() {
        var b = TokenBucket(capacity: 2, ratePerSecond: 1, now: .zero)
        let taken = [b.take(1, now: .zero), b.take(1, now: .zero), b.take(1, now: .milliseconds(500))]
        #expect(taken == [true, true, false])
        #expect(b.secondsUntil(1) == 0.5)
        let refilled = b.take(1, now: .seconds(1))
        #expect(refilled)
        #expect(b.remaining == 0)
        b.refill(now: .seconds(60))
        #expect(b.level == 2)  // never above the capacity
        b.charge(5, now: .seconds(60))
        #expect(b.level == -3 && b.remaining == 0 && b.secondsUntil(1) == 4)
        #expect(RateLimiter.duration(0) == "0s" && RateLimiter.duration(0.25) == "250ms" && RateLimiter.duration(1.5) == "1.5s")
    }

    @Test func limitsComeFromTheKeyElseTheServer() {
        var defaults = ServerConfiguration.RateLimits()
        let clock = ManualClock()
        #expect(RateLimiter(defaults: defaults, clock: clock).limits(for: nil) == nil)
        defaults.requestsPerSecond = 2.5
        let limiter = RateLimiter(defaults: defaults, clock: clock)
        #expect(limiter.limits(for: nil) == .init(requestsPerSecond: 2.5, burst: 3, tokensPerMinute: nil))
        let key = StoredKey(
            name: "k", scopes: [.infer], salt: "", digest: "", created: 0, limits: KeyLimits(burst: 7, tokensPerMinute: 100))
        #expect(limiter.limits(for: key) == .init(requestsPerSecond: 2.5, burst: 7, tokensPerMinute: 100))
    }

    /// Without keys: per client address, from the server's settings; open routes are never
    /// limited; the clock refills.
    @Test func perClientAddressWithoutKeys() async throws {
        let clock = ManualClock()
        let s = try await RunningServer.edge(loggingTo: "", rateLimitClock: clock) {
            $0.rateLimits.requestsPerSecond = 1
            $0.rateLimits.burst = 2
        }
        let first = try s.get("/v1/models")
        #expect(first.status == 200)
        #expect(first.header("x-ratelimit-limit-requests") == "2")
        #expect(first.header("x-ratelimit-remaining-requests") == "1")
        #expect(first.header("x-ratelimit-reset-requests") == "1s")
        #expect(try s.get("/v1/models").header("x-ratelimit-remaining-requests") == "0")
        let refused = try s.get("/v1/models")
        #expect(refused.status == 429)
        #expect(refused.header("Retry-After") == "1")
        #expect(refused.header("x-ratelimit-remaining-requests") == "0")
        #expect(errorCode(refused) == "rate_limit_exceeded")
        #expect(try s.get("/health").status == 200)

        clock.advance(by: .milliseconds(999))
        #expect(try s.get("/v1/models").status == 429)
        clock.advance(by: .milliseconds(1))
        #expect(try s.get("/v1/models").status == 200)
        #expect(try s.get("/v1/models").status == 429)

        let metrics = s.server.metrics.render()
        #expect(metrics.contains(#"lmserve_rate_limited_total{key="anonymous",limit="requests"} 3"#))
        #expect(metrics.contains(#"lmserve_rejected_requests_total{reason="rate_limited"} 3"#))
        await s.stop()
    }

    /// With keys: each key has its own buckets; tokens are charged when a request finishes, and
    /// the request log names the key (never the key itself).
    @Test func perKeyTokensAndTheRequestLog() async throws {
        let dir = TempDir()
        let keysPath = dir.path("keys.json")
        var file = KeysFile()
        let small = try file.add(name: "small", scopes: [.infer], limits: KeyLimits(tokensPerMinute: 5))
        let other = try file.add(name: "other", scopes: [.infer], limits: KeyLimits())
        try file.save(path: keysPath)
        let clock = ManualClock()
        let db = dir.path("r.db")
        let s = try await RunningServer.edge(loggingTo: db, rateLimitClock: clock) { $0.keysFile = keysPath }
        func score(_ key: String) throws -> HTTPClient.Response {
            try s.client().post(
                "/v1/perplexity", json: #"{"model":"edge","texts":["a b c d e f g h"]}"#, headers: [("Authorization", "Bearer " + key)])
        }
        let first = try score(small)
        #expect(first.status == 200)
        #expect(first.header("x-ratelimit-limit-tokens") == "5")
        #expect(first.header("x-ratelimit-remaining-tokens") == "5")
        #expect(first.header("x-ratelimit-limit-requests") == nil)
        // The first request used 9 tokens (8 words and </s>): the bucket is 4 in debt.
        let refused = try score(small)
        #expect(refused.status == 429)
        #expect(refused.header("x-ratelimit-remaining-tokens") == "0")
        #expect(refused.header("Retry-After") == "60")  // 5 tokens at 5 per minute
        #expect(try score(other).status == 200)
        #expect(try score(other).header("x-ratelimit-limit-tokens") == nil)
        clock.advance(by: .seconds(59))
        #expect(try score(small).status == 429)
        clock.advance(by: .seconds(1))
        #expect(try score(small).status == 200)
        #expect(s.server.metrics.render().contains(#"lmserve_rate_limited_total{key="small",limit="tokens"} 2"#))
        #expect(s.server.metrics.render().contains(#"lmserve_key_requests_total{key="other"} 2"#))
        await s.stop()

        let reader = try RequestLogReader(path: db)
        defer { reader.close() }
        let rows = try reader.requests(matching: RequestQuery(limit: 100))
        #expect(rows.filter { $0.keyName == "small" }.map(\.status).sorted() == [200, 200, 429, 429])
        #expect(rows.filter { $0.keyName == "other" }.count == 2)
        // `?key=` (and `lmserve logs --key`) select one key's rows.
        let selected = try reader.requests(matching: RequestQuery(parameters: ["key": "other"], now: 0))
        #expect(selected.count == 2 && selected.allSatisfy { $0.keyName == "other" })
        // No key appears in the log file.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: db)) + ((try? Data(contentsOf: URL(fileURLWithPath: db + "-wal"))) ?? Data())
        for key in [small, other] { #expect(bytes.range(of: Data(key.utf8)) == nil) }
    }
}
