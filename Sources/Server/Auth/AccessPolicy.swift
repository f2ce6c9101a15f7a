import Foundation
import HTTP

/// Who may call which route: API keys and their scopes when a keys file is configured, and the
/// "safe without keys" rule when it is not.
///
/// - `/health`, `/ready` and the console's page and files are open to everyone.
/// - Every `/admin/` route needs `admin` (by prefix, so routes added later inherit it);
///   `/metrics` needs `metrics` unless `auth.public_metrics`; everything else (the `/v1/` API,
///   and paths no route has) needs `infer`.
/// - Without keys, a non-loopback bind turns the `/admin/` routes off (403 saying how to turn
///   them on); a loopback bind leaves everything open.
struct AccessPolicy: Sendable {
    /// The keys, or nil when authentication is off.
    let keys: KeyStore?
    let publicMetrics: Bool
    /// The address the server listens on, for the message that says why admin routes are off.
    let host: String
    /// Without keys: whether the `/admin/` routes answer (loopback binds).
    var adminWithoutKeys: Bool { ServerConfiguration.isLoopback(host) }

    /// The scope `path` needs, nil for an open route. Segments are split as the router splits
    /// them (empty ones dropped), so `//admin/requests` is an admin path, as it is a route.
    static func scope(for path: String, publicMetrics: Bool) -> Scope? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        switch segments.first {
        case nil: return nil  // "/": the console's page
        case "health", "ready": return segments.count == 1 ? nil : .infer
        case "console": return segments.count <= 2 ? nil : .infer
        case "admin": return .admin
        case "metrics":
            if segments.count != 1 { return .infer }
            return publicMetrics ? nil : .metrics
        default: return .infer
        }
    }

    /// A request let through.
    struct Grant {
        /// The key's entry, when authentication is on and the route is not open.
        var key: StoredKey?
        /// An open route (`/health`, `/ready`, the console's files): never rate limited.
        var isOpen: Bool
    }

    /// What the request may do: allowed (with the key's entry when authentication is on), or
    /// the error that refuses it.
    func check(_ request: HTTPRequest) -> Result<Grant, HTTPError> {
        guard let scope = Self.scope(for: request.path, publicMetrics: publicMetrics) else { return .success(Grant(isOpen: true)) }
        guard let keys else {
            if scope == .admin && !adminWithoutKeys { return .failure(Self.adminDisabled(host: host)) }
            return .success(Grant(isOpen: false))
        }
        guard let token = Self.bearerToken(request.headers["Authorization"]) else {
            return .failure(
                HTTPError(
                    .unauthorized, message: "an API key is required: send Authorization: Bearer KEY", type: "authentication_error",
                    code: "missing_api_key", extraHeaders: [("WWW-Authenticate", "Bearer")]))
        }
        guard let entry = keys.entry(for: token) else {
            return .failure(
                HTTPError(
                    .unauthorized, message: "the API key is not valid (unknown or revoked)", type: "authentication_error",
                    code: "invalid_api_key", extraHeaders: [("WWW-Authenticate", "Bearer error=\"invalid_token\"")]))
        }
        guard entry.scopes.contains(scope) else {
            return .failure(
                HTTPError(
                    .forbidden, message: "the key '\(entry.name)' lacks the '\(scope.rawValue)' scope this route needs",
                    type: "permission_error", code: "insufficient_scope"))
        }
        return .success(Grant(key: entry, isOpen: false))
    }

    /// The token of an `Authorization: Bearer TOKEN` header (the scheme in any case).
    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    static func adminDisabled(host: String) -> HTTPError {
        HTTPError(
            .forbidden,
            message: "the /admin/ routes are off: the server listens on \(host) without API keys. Create a key with "
                + "`lmserve keys add NAME --scopes admin --keys-file FILE` and start the server with --keys-file FILE "
                + "(or listen on 127.0.0.1)",
            type: "permission_error", code: "admin_disabled")
    }
}

extension ServerConfiguration {
    /// Whether `host` is a loopback address (only this machine can connect).
    package static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }
}
