import Batching
import Foundation
import HTTP
import Synchronization

/// Rate limits per tenant (`RequestTenant`: the API key's name, or the client's address without
/// keys): a bucket of requests per second with a burst, and one of tokens per minute (scored
/// plus generated tokens, charged when a request finishes).
///
/// A request is admitted when its tenant's request bucket has a whole request and its token
/// bucket is not empty; otherwise it gets 429 with `Retry-After`. Every answer to a limited
/// tenant carries OpenAI's `x-ratelimit-*` headers. Buckets refill on the injected clock.
final class RateLimiter: Sendable {
    /// The limits one tenant runs under.
    struct Limits: Sendable, Equatable {
        var requestsPerSecond: Double?
        var burst: Int
        var tokensPerMinute: Int?
    }

    private struct Buckets {
        var limits: Limits
        var requests: TokenBucket?
        var tokens: TokenBucket?
    }

    enum Decision {
        /// Go ahead; put these headers on the response.
        case admitted(headers: [(String, String)])
        /// 429 (its headers include `Retry-After`); `limit` is "requests" or "tokens".
        case refused(HTTPError, limit: String)
    }

    /// Tenants remembered at most before full buckets (which hold no information) are dropped:
    /// per-address limits must not grow without bound.
    static let maxTenants = 10_000

    private let defaults: ServerConfiguration.RateLimits
    private let clock: any SchedulerClock
    private let state = Mutex<[String: Buckets]>([:])

    init(defaults: ServerConfiguration.RateLimits, clock: any SchedulerClock) {
        self.defaults = defaults
        self.clock = clock
    }

    /// The limits for a request with `key` (nil: no key): the key's own, else the server's;
    /// nil when neither limits anything.
    func limits(for key: StoredKey?) -> Limits? {
        let own = key?.limits ?? KeyLimits()
        let rps = own.requestsPerSecond ?? (defaults.requestsPerSecond > 0 ? defaults.requestsPerSecond : nil)
        let tpm = own.tokensPerMinute ?? (defaults.tokensPerMinute > 0 ? defaults.tokensPerMinute : nil)
        guard rps != nil || tpm != nil else { return nil }
        let burst = own.burst ?? (defaults.burst > 0 ? defaults.burst : max(1, Int((rps ?? 1).rounded(.up))))
        return Limits(requestsPerSecond: rps, burst: burst, tokensPerMinute: tpm)
    }

    /// Admits or refuses one request of `tenant`; nil when no limit applies to it.
    func admit(tenant: String, key: StoredKey?) -> Decision? {
        guard let limits = limits(for: key) else { return nil }
        let now = clock.now
        return state.withLock { tenants -> Decision in
            var b = buckets(tenant, limits, now, in: &tenants)
            defer { tenants[tenant] = b }
            b.tokens?.refill(now: now)
            if let tokens = b.tokens, !tokens.holds(1) {
                return refusal(limit: "tokens", retryAfter: tokens.secondsUntil(1), b, tenant: tenant)
            }
            if b.requests != nil, !b.requests!.take(1, now: now) {
                return refusal(limit: "requests", retryAfter: b.requests!.secondsUntil(1), b, tenant: tenant)
            }
            return .admitted(headers: Self.headers(b))
        }
    }

    /// Charges `tokens` (scored plus generated) to `tenant`'s token bucket once its request has
    /// finished.
    func charge(tenant: String, key: StoredKey?, tokens: Int) {
        guard tokens > 0, let limits = limits(for: key), limits.tokensPerMinute != nil else { return }
        let now = clock.now
        state.withLock { tenants in
            var b = buckets(tenant, limits, now, in: &tenants)
            b.tokens?.charge(Double(tokens), now: now)
            tenants[tenant] = b
        }
    }

    /// The tenant's buckets, new (full) ones when it has none or its limits changed (the keys
    /// file was edited).
    private func buckets(_ tenant: String, _ limits: Limits, _ now: Duration, in tenants: inout [String: Buckets]) -> Buckets {
        if let b = tenants[tenant], b.limits == limits { return b }
        if tenants.count >= Self.maxTenants { prune(&tenants, now: now) }
        return Buckets(
            limits: limits,
            requests: limits.requestsPerSecond.map { TokenBucket(capacity: Double(limits.burst), ratePerSecond: $0, now: now) },
            tokens: limits.tokensPerMinute.map { TokenBucket(capacity: Double($0), ratePerSecond: Double($0) / 60, now: now) })
    }

    /// Drops the tenants whose buckets have refilled completely: a new full bucket is the same.
    private func prune(_ tenants: inout [String: Buckets], now: Duration) {
        tenants = tenants.filter { _, b in
            var r = b.requests
            var t = b.tokens
            r?.refill(now: now)
            t?.refill(now: now)
            return (r.map { $0.level < $0.capacity } ?? false) || (t.map { $0.level < $0.capacity } ?? false)
        }
    }

    private func refusal(limit: String, retryAfter: Double, _ b: Buckets, tenant: String) -> Decision {
        let l = b.limits
        let what =
            limit == "requests"
            ? "\(Self.number(l.requestsPerSecond ?? 0)) requests per second (burst \(l.burst))"
            : "\(l.tokensPerMinute ?? 0) tokens per minute"
        let seconds = max(1, Int(retryAfter.rounded(.up)))
        return .refused(
            HTTPError(
                .tooManyRequests, message: "rate limit reached: \(what); retry in \(seconds) s", type: "rate_limit_error",
                code: "rate_limit_exceeded", extraHeaders: [("Retry-After", "\(seconds)")] + Self.headers(b)),
            limit: limit)
    }

    /// OpenAI's headers: each limit, what is left of it, and when it is whole again.
    private static func headers(_ b: Buckets) -> [(String, String)] {
        var h: [(String, String)] = []
        if let r = b.requests {
            h += [
                ("x-ratelimit-limit-requests", "\(b.limits.burst)"), ("x-ratelimit-remaining-requests", "\(r.remaining)"),
                ("x-ratelimit-reset-requests", duration(r.secondsUntilFull)),
            ]
        }
        if let t = b.tokens, let limit = b.limits.tokensPerMinute {
            h += [
                ("x-ratelimit-limit-tokens", "\(limit)"), ("x-ratelimit-remaining-tokens", "\(t.remaining)"),
                ("x-ratelimit-reset-tokens", duration(t.secondsUntilFull)),
            ]
        }
        return h
    }

    /// "0s", "250ms", "1.5s", "42s": milliseconds below a second, else seconds (rounded up to ms).
    static func duration(_ seconds: Double) -> String {
        let ms = Int((seconds * 1000).rounded(.up))
        if ms == 0 { return "0s" }
        if ms < 1000 { return "\(ms)ms" }
        return number(Double(ms) / 1000) + "s"
    }

    /// 2 for 2.0, 0.5 for 0.5.
    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
