#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses the decimal numbers of ARPA files into correctly rounded `Float`s.
enum ARPANumber {
    private static let powersOfTen: [Double] = (0...22).map { i in
        var v = 1.0
        for _ in 0..<i { v *= 10 }
        return v
    }

    /// The value of `field`, rounded as `strtof` rounds; nil when it is not a number.
    ///
    /// Short decimals (≤ 15 significant digits, small exponents) are computed exactly in
    /// `Double` and rounded once; anything else, or a result that lands exactly on a `Float`
    /// rounding midpoint, goes through `strtof`.
    static func parseFloat(_ field: UnsafeBufferPointer<UInt8>) -> Float? {
        let n = field.count
        guard n > 0 else { return nil }
        var i = 0
        var negative = false
        if field[0] == 0x2D { negative = true; i = 1 } else if field[0] == 0x2B { i = 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        var sawDigit = false
        while i < n, field[i] >= 0x30, field[i] <= 0x39 {
            sawDigit = true
            if digits < 18 {
                mantissa = mantissa * 10 + UInt64(field[i] - 0x30)
                if mantissa != 0 { digits += 1 }
            } else {
                return slowParse(field)
            }
            i += 1
        }
        if i < n, field[i] == 0x2E {
            i += 1
            while i < n, field[i] >= 0x30, field[i] <= 0x39 {
                sawDigit = true
                if digits < 18 {
                    mantissa = mantissa * 10 + UInt64(field[i] - 0x30)
                    if mantissa != 0 { digits += 1 }
                    exponent -= 1
                } else {
                    return slowParse(field)
                }
                i += 1
            }
        }
        guard sawDigit else { return slowParse(field) }
        if i < n, field[i] == 0x65 || field[i] == 0x45 {
            i += 1
            var expNegative = false
            if i < n, field[i] == 0x2D { expNegative = true; i += 1 } else if i < n, field[i] == 0x2B { i += 1 }
            var e = 0
            var expDigits = 0
            while i < n, field[i] >= 0x30, field[i] <= 0x39 {
                if e < 10_000 { e = e * 10 + Int(field[i] - 0x30) }
                expDigits += 1
                i += 1
            }
            guard expDigits > 0 else { return nil }
            exponent += expNegative ? -e : e
        }
        guard i == n else { return slowParse(field) }
        if mantissa == 0 { return negative ? -0.0 : 0.0 }
        guard digits <= 15, exponent >= -22, exponent <= 22 else { return slowParse(field) }
        var d = Double(mantissa)
        d = exponent < 0 ? d / powersOfTen[-exponent] : d * powersOfTen[exponent]
        // Rounding Double → Float is wrong only when d sits exactly on a Float midpoint, and
        // Float subnormals round at a different bit.
        if d.bitPattern & 0x1FFF_FFFF == 0x1000_0000 || d < Double(Float.leastNormalMagnitude) * 2
            || d > Double(Float.greatestFiniteMagnitude)
        {
            return slowParse(field)
        }
        let f = Float(d)
        return negative ? -f : f
    }

    /// `strtof` on a NUL-terminated copy; nil unless the whole field is consumed.
    private static func slowParse(_ field: UnsafeBufferPointer<UInt8>) -> Float? {
        guard field.count < 256 else { return nil }
        // strtof would skip leading white space and accept hex; ARPA numbers are decimal.
        let first = field[0]
        guard first == 0x2D || first == 0x2B || first == 0x2E || (first >= 0x30 && first <= 0x39)
            || first == 0x69 || first == 0x49 || first == 0x6E || first == 0x4E
        else { return nil }
        var buffer = [CChar](repeating: 0, count: field.count + 1)
        for k in 0..<field.count { buffer[k] = CChar(bitPattern: field[k]) }
        return buffer.withUnsafeBufferPointer { p -> Float? in
            var end: UnsafeMutablePointer<CChar>? = nil
            errno = 0
            let v = strtof(p.baseAddress!, &end)
            guard let end, end - UnsafeMutablePointer(mutating: p.baseAddress!) == field.count else { return nil }
            if errno == ERANGE && v.isInfinite { return nil }
            return v
        }
    }
}
