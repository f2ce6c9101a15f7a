import Testing
@testable import HTTP

@Suite struct TimerHeapTests {
    typealias Heap = TimerHeap<Int>

    @Test func popsDueEntriesEarliestFirst() {
        var heap = Heap()
        let deadlines: [UInt64] = [50, 10, 40, 10, 30, 70, 20, 60]
        for (i, d) in deadlines.enumerated() { heap.push(.init(deadline: d, owner: i, generation: UInt64(i))) }
        #expect(heap.earliest == 10)
        #expect(heap.popDue(now: 9) == nil)
        var popped: [UInt64] = []
        while let e = heap.popDue(now: 45) { popped.append(e.deadline) }
        #expect(popped == [10, 10, 20, 30, 40])
        #expect(heap.earliest == 50)
        #expect(heap.count == 3)
        while let e = heap.popDue(now: .max) { popped.append(e.deadline) }
        #expect(popped == [10, 10, 20, 30, 40, 50, 60, 70])
        #expect(heap.earliest == nil)
    }

    @Test func aLargeShuffledSetComesOutSorted() {
        var heap = Heap()
        var generator = SystemRandomNumberGenerator()
        let deadlines = (0..<1000).map { _ in UInt64.random(in: 0..<10_000, using: &generator) }
        for (i, d) in deadlines.enumerated() { heap.push(.init(deadline: d, owner: i, generation: 0)) }
        var out: [UInt64] = []
        while let e = heap.popDue(now: .max) { out.append(e.deadline) }
        #expect(out == deadlines.sorted())
    }
}
