import Foundation
import Testing
@testable import HTTP

/// A throwaway CA and a server certificate for 127.0.0.1/localhost, made with the openssl CLI.
struct TestPKI {
    let directory: URL
    var caPath: String { directory.appendingPathComponent("ca.pem").path }
    var certificatePath: String { directory.appendingPathComponent("server.pem").path }
    var keyPath: String { directory.appendingPathComponent("server.key").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lmserve-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(
            to: directory.appendingPathComponent("ext.cnf"), atomically: true, encoding: .utf8)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try run(["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=LMServe Test CA"])
        try run(["req"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"])
        try run(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", "server.pem", "-days", "1", "-extfile", "ext.cnf"])
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    private func run(_ arguments: [String]) throws {
        let result = try runProcess("/usr/bin/openssl", arguments, in: directory)
        guard result.status == 0 else { throw TestClient.Failure(description: "openssl \(arguments): \(result.output)") }
    }
}

/// Runs a program to completion; returns exit status and combined output.
func runProcess(_ path: String, _ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

@Suite(.serialized) struct TLSTests {
    @Test func curlWithTheTestCASucceedsAndPlainHTTPFailsCleanly() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let tls = TLSConfiguration(certificatePath: pki.certificatePath, privateKeyPath: pki.keyPath)
        try await withServer(tls: tls) { server in
            let port = server.boundPort
            let ca = pki.caPath
            let get = try await offPool {
                try runProcess("/usr/bin/curl", ["-sS", "--cacert", ca, "https://127.0.0.1:\(port)/health"])
            }
            #expect(get.status == 0)
            #expect(get.output == "ok")
            let post = try await offPool {
                try runProcess("/usr/bin/curl", ["-sS", "--cacert", ca, "--data-binary", "tls body", "https://localhost:\(port)/echo"])
            }
            #expect(post.output == "tls body")
            // A 2 MiB body both ways (partial TLS writes, WANT_WRITE retries).
            let bigPath = pki.directory.appendingPathComponent("big.bin").path
            let big = Data((0..<(2 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) })
            try big.write(to: URL(fileURLWithPath: bigPath))
            let outPath = pki.directory.appendingPathComponent("out.bin").path
            let echoed = try await offPool {
                try runProcess("/usr/bin/curl", ["-sS", "--cacert", ca, "--data-binary", "@" + bigPath, "-o", outPath,
                                                 "https://127.0.0.1:\(port)/echo"])
            }
            #expect(echoed.status == 0)
            #expect(FileManager.default.contents(atPath: outPath) == big)
            // Keep-alive over TLS: two URLs on one curl connection.
            let two = try await offPool {
                try runProcess("/usr/bin/curl", ["-sS", "--cacert", ca, "https://127.0.0.1:\(port)/n/1", "https://127.0.0.1:\(port)/n/2"])
            }
            #expect(two.output == "12")
            // TLS 1.1 is refused (TLS 1.2 minimum).
            let old = try await offPool {
                try runProcess("/usr/bin/curl", ["-sS", "--cacert", ca, "--tlsv1.1", "--tls-max", "1.1", "https://127.0.0.1:\(port)/health"])
            }
            #expect(old.status != 0)
            // Plain HTTP to the TLS port: no HTTP response, the connection just closes.
            let plain = try await offPool { () -> (String, Bool) in
                let client = try TestClient(port: port)
                try client.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
                var text = ""
                if let r = try? client.readResponse() { text = "HTTP \(r.status)" }
                return (text, try client.isClosedByServer())
            }
            #expect(plain.0 == "")
            #expect(plain.1)
            // And the server is still fine.
            let again = try await offPool {
                try runProcess("/usr/bin/curl", ["-sS", "--cacert", ca, "https://127.0.0.1:\(port)/health"])
            }
            #expect(again.output == "ok")
            #expect(await eventually { server.openConnectionCount == 0 })
        }
    }

    @Test func untrustedClientFailsAndBadKeyFilesAreReported() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let tls = TLSConfiguration(certificatePath: pki.certificatePath, privateKeyPath: pki.keyPath)
        try await withServer(tls: tls) { server in
            let port = server.boundPort
            let r = try await offPool { try runProcess("/usr/bin/curl", ["-sS", "https://127.0.0.1:\(port)/health"]) }
            #expect(r.status != 0)
        }
        let missing = HTTPServer(
            configuration: HTTPServerConfiguration(
                tls: TLSConfiguration(certificatePath: "/nonexistent.pem", privateKeyPath: pki.keyPath)),
            responder: testRouter(), logger: .init(label: "t"))
        await #expect(throws: HTTPServerError.self) { try await missing.start() }
        let mismatched = HTTPServer(
            configuration: HTTPServerConfiguration(
                tls: TLSConfiguration(certificatePath: pki.caPath, privateKeyPath: pki.keyPath)),
            responder: testRouter(), logger: .init(label: "t"))
        await #expect(throws: HTTPServerError.self) { try await mismatched.start() }
    }
}
