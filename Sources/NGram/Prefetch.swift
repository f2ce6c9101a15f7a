/// LLVM's prefetch intrinsic (`__builtin_prefetch`), declared directly: Swift has no public
/// prefetch and `_mm_prefetch` is a C macro. Arguments: address, rw (0 = read), locality
/// (3 = keep in all cache levels), cache type (1 = data).
@_silgen_name("llvm.prefetch.p0")
private func llvmPrefetch(_ address: UnsafeRawPointer, _ rw: Int32, _ locality: Int32, _ cacheType: Int32)

/// Asks the CPU to start loading the cache line at `address` (no effect on program state).
@inline(__always)
func prefetch(_ address: UnsafeRawPointer) {
    llvmPrefetch(address, 0, 3, 1)
}

extension HashedSearch {
    /// Prefetches the first slot of every table the lookup of `ids[position]` will probe,
    /// taking its context to be the words before it in `ids` (most recent first).
    @inline(__always)
    func prefetchLookups(_ ids: UnsafePointer<WordID>, at position: Int) {
        let depth = min(position, order - 1)
        var node = UInt64(ids[position])
        var k = 0
        while k < depth {
            node = WordHash.combine(node, ids[position - 1 - k])
            let key = WordHash.slotKey(node)
            let t = table(k)
            prefetch(UnsafeRawPointer(t.base + WordHash.bucket(key, t.buckets)))
            k += 1
        }
    }

    /// Prefetches the first slot of every table the lookup of `word` after `state` will probe.
    @inline(__always)
    func prefetchLookups(_ word: WordID, after state: NGramState) {
        let depth = min(Int(state.length), order - 1)
        var node = UInt64(word)
        var k = 0
        while k < depth {
            node = WordHash.combine(node, state.words[k])
            let key = WordHash.slotKey(node)
            let t = table(k)
            prefetch(UnsafeRawPointer(t.base + WordHash.bucket(key, t.buckets)))
            k += 1
        }
    }
}
