/// A growable, uninitialised Float scratch buffer owned by one training network.
final class TrainingBuffer {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var capacity: Int

    init(count: Int = 0) {
        capacity = max(count, 1)
        pointer = .allocate(capacity: capacity)
        if count > 0 { pointer.initialize(repeating: 0, count: capacity) }
    }

    /// Makes room for `count` floats; old contents are lost when it grows.
    func reserve(_ count: Int) {
        guard count > capacity else { return }
        pointer.deallocate()
        capacity = count
        pointer = .allocate(capacity: count)
        pointer.initialize(repeating: 0, count: count)
    }

    func zero(_ count: Int) { pointer.update(repeating: 0, count: count) }

    deinit { pointer.deallocate() }
}
