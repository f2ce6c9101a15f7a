/// A mutable buffer that worker threads (`DispatchQueue.concurrentPerform`) may share, each
/// writing only its own disjoint elements. The caller guarantees that disjointness.
package struct UnsafeSendableBuffer<Element>: @unchecked Sendable {
    package let buffer: UnsafeMutableBufferPointer<Element>
    package init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }
}
