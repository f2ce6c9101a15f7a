/// One event loop's timers: a binary min-heap of (deadline, owner, generation).
///
/// Cancelling is lazy: an owner that re-arms or goes away bumps or drops its generation, and the
/// stale entry is discarded when it reaches the top (`popDue` hands out every due entry; the
/// caller checks the generation). Pushing and popping are O(log n); the loop sleeps until
/// `earliest`.
struct TimerHeap<Owner: Hashable> {
    struct Entry {
        let deadline: UInt64
        let owner: Owner
        let generation: UInt64
    }

    private var entries: [Entry] = []

    var count: Int { entries.count }
    /// The earliest deadline, if any timer is armed.
    var earliest: UInt64? { entries.first?.deadline }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].deadline < entries[parent].deadline else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest entry if its deadline is at or before `now`.
    mutating func popDue(now: UInt64) -> Entry? {
        guard let first = entries.first, first.deadline <= now else { return nil }
        let last = entries.removeLast()
        guard !entries.isEmpty else { return first }
        entries[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < entries.count && entries[left].deadline < entries[smallest].deadline { smallest = left }
            if right < entries.count && entries[right].deadline < entries[smallest].deadline { smallest = right }
            if smallest == parent { break }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }
}
