import CKernels

/// A weight matrix [n, k] (PyTorch's [out, in]) copied once into the layout LMServe's own
/// product reads (`lmserve_pack`: panels of 64 rows, each stored transposed), so no product
/// packs anything per call. Immutable after init; 64-byte aligned.
final class PackedMatrix: @unchecked Sendable {
    let n: Int
    let k: Int
    let pointer: UnsafeMutablePointer<Float>

    /// Packs a row-major [n, k] array.
    init(n: Int, k: Int, _ weights: [Float]) {
        precondition(n > 0 && k > 0 && weights.count == n * k, "PackedMatrix: \(weights.count) floats for \(n) × \(k)")
        self.n = n
        self.k = k
        let count = lmserve_packed_count(n, k)
        pointer = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
        weights.withUnsafeBufferPointer { lmserve_pack(n, k, $0.baseAddress!, k, pointer) }
    }

    deinit { pointer.deallocate() }
}
