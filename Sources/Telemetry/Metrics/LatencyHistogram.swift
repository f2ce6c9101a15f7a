import Foundation

/// Latencies counted in log-spaced buckets, eight per doubling from 1 µs (each bucket 9% wide),
/// up to 2^32 µs (71 minutes; longer ones land in the last bucket). Percentiles come back as
/// the bucket's geometric middle, so within 4.5% of the true value.
///
/// Small and fixed: 256 counters, allocated on first use.
struct LatencyHistogram {
    static let bucketsPerDoubling = 8.0
    static let bucketCount = 256

    private var counts: [UInt32] = []
    private(set) var total = 0

    mutating func record(seconds: Double) {
        if counts.isEmpty { counts = Array(repeating: 0, count: Self.bucketCount) }
        let micros = seconds * 1e6
        let index = micros > 1 ? Int((log2(micros) * Self.bucketsPerDoubling).rounded(.down)) : 0
        counts[min(max(index, 0), Self.bucketCount - 1)] &+= 1
        total += 1
    }

    mutating func reset() {
        guard total > 0 else { return }
        for i in counts.indices { counts[i] = 0 }
        total = 0
    }

    /// The `q` quantile (0 < q ≤ 1) in milliseconds: the smallest bucket holding at least
    /// `ceil(q × total)` values; nil when empty.
    func percentileMs(_ q: Double) -> Double? {
        guard total > 0 else { return nil }
        let rank = max(1, Int((q * Double(total)).rounded(.up)))
        var seen = 0
        for (i, count) in counts.enumerated() {
            seen += Int(count)
            if seen >= rank { return Self.middleMs(of: i) }
        }
        return Self.middleMs(of: Self.bucketCount - 1)
    }

    /// The geometric middle of bucket `i`, in milliseconds.
    static func middleMs(of i: Int) -> Double {
        pow(2, (Double(i) + 0.5) / bucketsPerDoubling) / 1000
    }
}
