import COpenSSL

/// The outcome of one non-blocking TLS read or write.
enum TLSIO {
    case bytes(Int)
    case wantRead
    case wantWrite
    /// The peer sent close_notify (reads only).
    case closed
    case failed(String)
}

/// An OpenSSL server context (`SSL_CTX`): certificate, key, TLS 1.2 minimum.
/// The only file (with `TLSSession` below) that touches OpenSSL types.
final class TLSContext: @unchecked Sendable {  // SSL_CTX is immutable after init; OpenSSL makes SSL_new on a shared context thread-safe
    private let ctx: OpaquePointer

    /// Loads the PEM chain and key and checks they match.
    /// `SSL_CTX_new`, `SSL_CTX_use_certificate_chain_file`, `SSL_CTX_use_PrivateKey_file`.
    /// - Throws: `HTTPServerError.tls` with OpenSSL's message.
    init(_ configuration: TLSConfiguration) throws(HTTPServerError) {
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw .tls("SSL_CTX_new: \(Self.lastError())") }
        self.ctx = ctx
        guard lmserve_ssl_ctx_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 else {
            throw .tls("cannot require TLS 1.2: \(Self.lastError())")
        }
        // Partial writes let a slow reader take part of a buffer; the buffer may move between retries.
        _ = lmserve_ssl_ctx_set_mode(ctx, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER))
        guard SSL_CTX_use_certificate_chain_file(ctx, configuration.certificatePath) == 1 else {
            throw .tls("certificate \(configuration.certificatePath): \(Self.lastError())")
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, configuration.privateKeyPath, SSL_FILETYPE_PEM) == 1 else {
            throw .tls("private key \(configuration.privateKeyPath): \(Self.lastError())")
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            throw .tls("private key does not match the certificate: \(Self.lastError())")
        }
    }

    deinit {
        SSL_CTX_free(ctx)
    }

    /// A server-side session on an accepted socket. OpenSSL reads and writes the descriptor
    /// itself; the `Socket` still owns it and frees the session before closing it.
    /// `SSL_new`, `SSL_set_fd`.
    func makeSession(socket: Socket) -> TLSSession? {
        guard let ssl = SSL_new(ctx) else { return nil }
        guard (try? socket.withDescriptor({ fd throws(SocketError) in SSL_set_fd(ssl, fd) })) == 1 else {
            SSL_free(ssl)
            return nil
        }
        SSL_set_accept_state(ssl)
        return TLSSession(ssl: ssl)
    }

    /// Drains OpenSSL's error queue into one message.
    static func lastError() -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buf = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buf, buf.count)
            messages.append(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.isEmpty ? "unknown error" : messages.joined(separator: "; ")
    }
}

/// One connection's TLS state (`SSL*`). Loop-thread only.
final class TLSSession {
    private var ssl: OpaquePointer?

    init(ssl: OpaquePointer) {
        self.ssl = ssl
    }

    deinit {
        free()
    }

    /// Decrypts into `buffer` (runs the handshake first as needed). `SSL_read`.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> TLSIO {
        guard let ssl else { return .closed }
        ERR_clear_error()
        let n = SSL_read(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        if n > 0 { return .bytes(Int(n)) }
        return classify(n)
    }

    /// Encrypts and sends `buffer`; may accept only part of it. `SSL_write`.
    func write(_ buffer: UnsafeRawBufferPointer) -> TLSIO {
        guard let ssl else { return .failed("session closed") }
        guard buffer.count > 0 else { return .bytes(0) }
        ERR_clear_error()
        let n = SSL_write(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        if n > 0 { return .bytes(Int(n)) }
        return classify(n)
    }

    /// Whether the handshake has finished. `SSL_is_init_finished`.
    var isHandshakeComplete: Bool {
        guard let ssl else { return false }
        return SSL_is_init_finished(ssl) == 1
    }

    /// Sends close_notify (best effort, non-blocking). `SSL_shutdown`.
    func shutdown() {
        guard let ssl else { return }
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// Frees the session (idempotent). `SSL_free`.
    func free() {
        if let ssl { SSL_free(ssl) }
        ssl = nil
    }

    private func classify(_ result: Int32) -> TLSIO {
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL:
            let message = TLSContext.lastError()
            return result == 0 ? .closed : .failed("syscall: \(message)")
        default:
            return .failed(TLSContext.lastError())
        }
    }
}
