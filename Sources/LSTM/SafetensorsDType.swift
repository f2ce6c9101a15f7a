/// A safetensors element type, with its size and its conversion to Float32.
package enum SafetensorsDType: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case u8 = "U8", i8 = "I8", f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"
    case u16 = "U16", i16 = "I16", f16 = "F16", bf16 = "BF16"
    case u32 = "U32", i32 = "I32", f32 = "F32"
    case u64 = "U64", i64 = "I64", f64 = "F64"

    /// Bytes per element.
    package var size: Int {
        switch self {
        case .bool, .u8, .i8, .f8e4m3, .f8e5m2: return 1
        case .u16, .i16, .f16, .bf16: return 2
        case .u32, .i32, .f32: return 4
        case .u64, .i64, .f64: return 8
        }
    }

    /// Converts `count` little-endian elements at `source` (any alignment) to Float32.
    /// - Throws: `SafetensorsError.unsupportedDType` for non-float types.
    func convert(_ source: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>, tensor: String) throws {
        switch self {
        case .f32:
            out.withMemoryRebound(to: UInt8.self, capacity: count * 4) { $0.update(from: source.assumingMemoryBound(to: UInt8.self), count: count * 4) }
            for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: out[i].bitPattern)) }
        case .f16:
            for i in 0..<count {
                out[i] = Self.halfToFloat(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .bf16:
            for i in 0..<count {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                out[i] = Float(bitPattern: UInt32(bits) << 16)
            }
        case .f64:
            for i in 0..<count {
                let bits = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                out[i] = Float(Double(bitPattern: bits))
            }
        default:
            throw SafetensorsError.unsupportedDType(tensor: tensor, dtype: rawValue)
        }
    }

    /// IEEE 754 binary16 bits to Float32 (exact: every half is a float).
    @inline(__always)
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa · 2^-24.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
        }
    }

    /// Float32 to binary16 bits, rounding to nearest even (for writing F16 files).
    static func floatToHalf(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        if f.isNaN { return sign | 0x7E00 }
        let a = abs(f)
        if a >= 65520 { return sign | 0x7C00 }  // rounds to infinity
        if a < 0x1p-14 {
            // Subnormal half: round a / 2^-24 to an integer (ties to even).
            let m = (a * 0x1p24).rounded(.toNearestOrEven)
            return sign | UInt16(m)
        }
        let e = Int((bits >> 23) & 0xFF) - 127 + 15
        var m = bits & 0x7F_FFFF
        var exp = UInt32(e)
        // Round the 23-bit mantissa to 10 bits, ties to even.
        let rest = m & 0x1FFF
        m >>= 13
        if rest > 0x1000 || (rest == 0x1000 && (m & 1) == 1) {
            m += 1
            if m == 0x400 { m = 0; exp += 1 }
        }
        return sign | UInt16(exp << 10) | UInt16(m)
    }

    /// Float32 to bfloat16 bits, rounding to nearest even.
    static func floatToBFloat(_ f: Float) -> UInt16 {
        if f.isNaN { return UInt16(f.bitPattern >> 16) | 0x40 }
        let bits = f.bitPattern
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(rounded >> 16)
    }
}
