extension QueryReport {
    /// `x` as KenLM prints floats: shortest round-trip digits, fixed notation for decimal
    /// exponents −6…20 and `1e-7` style otherwise, `-0` for negative zero, `inf`/`NaN`.
    package static func shortest(_ x: Float) -> String { format(x.description, isNegative: x.sign == .minus) }

    /// `x` as KenLM prints doubles (see `shortest(_: Float)`).
    package static func shortest(_ x: Double) -> String { format(x.description, isNegative: x.sign == .minus) }

    /// Reformats Swift's shortest description (`1.5e-07`, `100.0`) the double-conversion way.
    static func format(_ swift: String, isNegative: Bool) -> String {
        var s = Substring(swift)
        if s.first == "-" { s.removeFirst() }
        let sign = isNegative ? "-" : ""
        if s == "inf" { return sign + "inf" }
        if s == "nan" { return "NaN" }
        var exponent = 0
        if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(s[s.index(after: e)...]) ?? 0
            s = s[..<e]
        }
        var digits = ""
        var point = 0
        var seenPoint = false
        for ch in s {
            if ch == "." { seenPoint = true; continue }
            digits.append(ch)
            if !seenPoint { point += 1 }
        }
        // Strip leading zeros (moving the point) and trailing zeros.
        while digits.first == "0" && digits.count > 1 {
            digits.removeFirst()
            point -= 1
        }
        while digits.last == "0" && digits.count > 1 { digits.removeLast() }
        if digits == "0" { return sign + "0" }
        point += exponent  // value = 0.d1d2… × 10^point
        let e = point - 1
        if e >= -6 && e < 21 {
            if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + digits }
            if point >= digits.count { return sign + digits + String(repeating: "0", count: point - digits.count) }
            let i = digits.index(digits.startIndex, offsetBy: point)
            return sign + digits[..<i] + "." + digits[i...]
        }
        let head = digits.prefix(1)
        let tail = digits.dropFirst()
        return sign + head + (tail.isEmpty ? "" : "." + tail) + "e" + String(e)
    }
}
