/// Seeded mutations of a KenLM binary aimed at its readers: counts and offsets in the header,
/// section contents, and the end of the file.
struct KenLMMutator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {  // splitmix64
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }

    mutating func mutate(_ seed: [UInt8]) -> [UInt8] {
        var bytes = seed
        for _ in 0...below(4) {
            guard !bytes.isEmpty else { break }
            // The header (first 256 bytes) half the time, anywhere otherwise.
            let at = next() & 1 == 0 ? below(min(256, bytes.count)) : below(bytes.count)
            switch below(5) {
            case 0: bytes[at] ^= UInt8(truncatingIfNeeded: 1 << below(8))
            case 1: bytes[at] = UInt8(truncatingIfNeeded: next())
            case 2, 3:
                let extremes: [UInt64] = [0, 1, 0x7F, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, 0x7FFF_FFFF_FFFF_FFFF, .max, next()]
                let v = extremes[below(extremes.count)]
                for j in 0..<(next() & 1 == 0 ? 4 : 8) where at + j < bytes.count { bytes[at + j] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(j))) }
            default: bytes.removeLast(below(bytes.count))
            }
        }
        return bytes
    }
}
