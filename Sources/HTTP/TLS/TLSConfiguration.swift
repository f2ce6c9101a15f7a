/// Where the server's TLS certificate chain and private key live (PEM files).
package struct TLSConfiguration: Sendable {
    /// PEM file with the leaf certificate first, then any intermediates.
    package var certificatePath: String
    /// PEM file with the private key for the leaf certificate.
    package var privateKeyPath: String

    package init(certificatePath: String, privateKeyPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }
}
