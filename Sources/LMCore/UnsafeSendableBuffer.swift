/// A mutable buffer that worker threads (`DispatchQueue.concurrentPerform`) may share, each
/// writing only its own disjoint elements. The caller guarantees that disjointness.
// @unchecked: what makes sharing safe is the caller's disjoint writes, which no type can express.
package struct UnsafeSendableBuffer<Element>: @unchecked Sendable {
    package let buffer: UnsafeMutableBufferPointer<Element>
    package init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }
}
