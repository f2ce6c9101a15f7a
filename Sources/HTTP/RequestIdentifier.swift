/// Request id handling: accept a client's id if it is short and plain, else make one.
enum RequestIdentifier {
    /// The client's id when it is 1–128 characters of `[A-Za-z0-9._:/+=@-]`, else nil.
    static func sanitized(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.utf8.count <= 128 else { return nil }
        for b in value.utf8 {
            switch b {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: continue
            case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "+"),
                UInt8(ascii: "="), UInt8(ascii: "@"), UInt8(ascii: "-"):
                continue
            default: return nil
            }
        }
        return value
    }
}
