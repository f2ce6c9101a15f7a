import HTTP

/// Who a request is for, as the scheduler's fair admission and the rate limits count it: the
/// one place that decides.
///
/// With authentication on it is the API key's name (set on the request's `RequestTrace` by the
/// access check); otherwise the client's address without its port, so one client's
/// connections share one tenant.
enum RequestTenant {
    static func of(_ request: HTTPRequest, trace: RequestTrace? = RequestTrace.current) -> String {
        if let name = trace?.snapshot.keyName { return name }
        return host(of: request.remoteAddress)
    }

    /// "10.0.0.7" of "10.0.0.7:51234", "::1" of "[::1]:51234".
    static func host(of address: String) -> String {
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            return String(address[address.index(after: address.startIndex)..<close])
        }
        if let colon = address.lastIndex(of: ":"), address.firstIndex(of: ":") == colon { return String(address[..<colon]) }
        return address
    }
}
