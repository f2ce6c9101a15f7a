import HTTP

extension ServerConfiguration {
    /// The HTTP layer's settings.
    var httpConfiguration: HTTPServerConfiguration {
        var c = HTTPServerConfiguration()
        c.host = host
        c.port = port
        c.limits.maxBodyBytes = limits.maxBodyBytes
        c.limits.maxHeaderBytes = limits.maxHeaderBytes
        c.limits.headerReadTimeout = .milliseconds(limits.headerTimeoutMilliseconds)
        c.limits.idleTimeout = .milliseconds(limits.idleTimeoutMilliseconds)
        c.limits.maxConnections = limits.maxConnections
        c.limits.maxConnectionsPerClient = limits.maxConnectionsPerClient
        c.limits.tlsHandshakeTimeout = .milliseconds(limits.tlsHandshakeTimeoutMilliseconds)
        c.limits.maxRequestsPerConnection = limits.maxRequestsPerConnection > 0 ? limits.maxRequestsPerConnection : Int.max
        if let cert = tlsCertificate, let key = tlsPrivateKey {
            c.tls = TLSConfiguration(certificatePath: cert, privateKeyPath: key)
        }
        return c
    }
}
