/// An HTTP request method (RFC 9110 §9): any token, case-sensitive.
package struct HTTPMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    package var rawValue: String

    package init(rawValue: String) {
        self.rawValue = rawValue
    }

    package static let GET = HTTPMethod(rawValue: "GET")
    package static let HEAD = HTTPMethod(rawValue: "HEAD")
    package static let POST = HTTPMethod(rawValue: "POST")
    package static let PUT = HTTPMethod(rawValue: "PUT")
    package static let DELETE = HTTPMethod(rawValue: "DELETE")
    package static let OPTIONS = HTTPMethod(rawValue: "OPTIONS")
    package static let PATCH = HTTPMethod(rawValue: "PATCH")
    package static let TRACE = HTTPMethod(rawValue: "TRACE")
    package static let CONNECT = HTTPMethod(rawValue: "CONNECT")

    package var description: String { rawValue }

    /// Maps the common methods to shared instances so parsing them allocates nothing.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> HTTPMethod {
        switch bytes.count {
        case 3:
            if bytes[0] == 0x47, bytes[1] == 0x45, bytes[2] == 0x54 { return .GET }
            if bytes[0] == 0x50, bytes[1] == 0x55, bytes[2] == 0x54 { return .PUT }
        case 4:
            if bytes[0] == 0x50, bytes[1] == 0x4F, bytes[2] == 0x53, bytes[3] == 0x54 { return .POST }
            if bytes[0] == 0x48, bytes[1] == 0x45, bytes[2] == 0x41, bytes[3] == 0x44 { return .HEAD }
        default: break
        }
        return HTTPMethod(rawValue: String(decoding: bytes, as: UTF8.self))
    }
}
