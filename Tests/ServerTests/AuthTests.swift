import Foundation
import HTTP
import LMServeTools
import Testing
@testable import Server

/// API keys: the comparator, the keys file, and every status over real sockets.
@Suite struct AuthTests {
    @Test func comparatorLooksAtContentNotJustPrefixes() {
        let a: [UInt8] = Array(0..<32)
        #expect(KeyHashing.constantTimeEqual(a, a))
        for i in [0, 15, 31] {
            var b = a
            b[i] ^= 0x80
            #expect(!KeyHashing.constantTimeEqual(a, b), "differs at \(i)")
        }
        #expect(!KeyHashing.constantTimeEqual(a, Array(a.prefix(31))))
        #expect(KeyHashing.constantTimeEqual([], []))
    }

    @Test func keysFileStoresOnlyASaltedDigestWithMode0600() throws {
        let dir = TempDir()
        let path = dir.path("keys.json")
        var file = KeysFile()
        let key = try file.add(name: "alice", scopes: [.infer, .admin, .infer], limits: KeyLimits(requestsPerSecond: 2, burst: 4))
        let other = try file.add(name: "bob", scopes: [.metrics], limits: KeyLimits())
        try file.save(path: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(key.hasPrefix("lms_") && key.count == 47)
        #expect(!text.contains(key) && !text.contains(String(key.dropFirst(4))))
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode == 0o600)

        let loaded = try KeysFile.load(path: path)
        #expect(loaded == file)
        #expect(loaded.entry(for: key)?.name == "alice")
        #expect(loaded.entry(for: key)?.scopes == [.infer, .admin])
        #expect(loaded.entry(for: other)?.name == "bob")
        #expect(loaded.entry(for: key + "x") == nil)
        #expect(loaded.entry(for: "") == nil)
        // Two keys for the same name differ in salt and digest.
        #expect(loaded.keys[0].salt != loaded.keys[1].salt)

        #expect(throws: KeysFileError.duplicateName("alice")) { _ = try file.add(name: "alice", scopes: [.infer], limits: KeyLimits()) }
        #expect(throws: KeysFileError.noScopes) { _ = try file.add(name: "carol", scopes: [], limits: KeyLimits()) }
        #expect(throws: KeysFileError.invalidName("a b")) { _ = try file.add(name: "a b", scopes: [.infer], limits: KeyLimits()) }
        try file.revoke(name: "alice")
        #expect(file.entry(for: key) == nil)
        #expect(throws: KeysFileError.unknownName("alice")) { try file.revoke(name: "alice") }

        try Data("{\"keys\": 3}".utf8).write(to: URL(fileURLWithPath: dir.path("bad.json")))
        #expect(throws: KeysFileError.self) { _ = try KeysFile.load(path: dir.path("bad.json")) }
        #expect(try KeysFile.load(path: dir.path("absent.json"), missingIsEmpty: true).keys.isEmpty)
    }

    /// Eight changes at once (as eight `lmserve keys add` runs would make them) all survive.
    @Test func concurrentUpdatesLoseNothing() async throws {
        let dir = TempDir()
        let path = dir.path("keys.json")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<8 {
                group.addTask {
                    _ = try KeysFile.update(path: path) { try $0.add(name: "k\(i)", scopes: [.infer], limits: KeyLimits()) }
                }
            }
            try await group.waitForAll()
        }
        #expect(try KeysFile.load(path: path).keys.map(\.name).sorted() == (0..<8).map { "k\($0)" })
        // A change that throws writes nothing.
        #expect(throws: KeysFileError.duplicateName("k0")) {
            try KeysFile.update(path: path) { try $0.add(name: "k0", scopes: [.infer], limits: KeyLimits()) }
        }
        #expect(try KeysFile.load(path: path).keys.count == 8)
    }

    @Test func scopesFollowTheRoutersSegments() {
        #expect(AccessPolicy.scope(for: "/health", publicMetrics: false) == nil)
        #expect(AccessPolicy.scope(for: "/ready", publicMetrics: false) == nil)
        #expect(AccessPolicy.scope(for: "/", publicMetrics: false) == nil)
        #expect(AccessPolicy.scope(for: "/console/api.js", publicMetrics: false) == nil)
        #expect(AccessPolicy.scope(for: "/admin/requests", publicMetrics: false) == .admin)
        #expect(AccessPolicy.scope(for: "//admin//requests", publicMetrics: true) == .admin)
        #expect(AccessPolicy.scope(for: "/admin/anything/new", publicMetrics: false) == .admin)
        #expect(AccessPolicy.scope(for: "/metrics", publicMetrics: false) == .metrics)
        #expect(AccessPolicy.scope(for: "/metrics/", publicMetrics: true) == nil)
        #expect(AccessPolicy.scope(for: "/v1/completions", publicMetrics: false) == .infer)
        #expect(AccessPolicy.scope(for: "/nothing", publicMetrics: false) == .infer)
        #expect(AccessPolicy.bearerToken("Bearer abc") == "abc")
        #expect(AccessPolicy.bearerToken("bearer  abc ") == "abc")
        #expect(AccessPolicy.bearerToken("Basic abc") == nil)
        #expect(AccessPolicy.bearerToken("Bearer") == nil)
    }

    @Test func tenantIsTheKeyNameElseTheClientHost() {
        let request = HTTPRequest(method: .GET, target: "/", remoteAddress: "10.1.2.3:5555")
        #expect(RequestTenant.of(request, trace: nil) == "10.1.2.3")
        #expect(RequestTenant.host(of: "[::1]:80") == "::1")
        let trace = RequestTrace()
        trace.update { $0.keyName = "alice" }
        #expect(RequestTenant.of(request, trace: trace) == "alice")
    }

    /// A keys file with an infer key, an admin key and a metrics key; the keys in that order.
    static func keys(at path: String) throws -> (infer: String, admin: String, metrics: String) {
        var file = KeysFile()
        let infer = try file.add(name: "app", scopes: [.infer], limits: KeyLimits())
        let admin = try file.add(name: "ops", scopes: [.admin], limits: KeyLimits())
        let metrics = try file.add(name: "prom", scopes: [.metrics], limits: KeyLimits())
        try file.save(path: path)
        return (infer, admin, metrics)
    }

    static func get(_ s: RunningServer, _ path: String, key: String? = nil) throws -> HTTPClient.Response {
        try s.client().request("GET", path, headers: key.map { [("Authorization", "Bearer " + $0)] } ?? [])
    }

    @Test func everyStatusOverRealSockets() async throws {
        let dir = TempDir()
        let keysPath = dir.path("keys.json")
        let keys = try Self.keys(at: keysPath)
        let s = try await RunningServer.edge(loggingTo: dir.path("r.db")) { $0.keysFile = keysPath }

        // Open routes.
        for path in ["/health", "/ready", "/", "/console/api.js"] { #expect(try Self.get(s, path).status == 200, "\(path)") }

        // No key, and a key that is not one: 401 with the challenge and the JSON error.
        let missing = try Self.get(s, "/v1/models")
        #expect(missing.status == 401)
        #expect(missing.header("WWW-Authenticate") == "Bearer")
        #expect(errorCode(missing) == "missing_api_key")
        let wrong = try Self.get(s, "/v1/models", key: keys.infer + "x")
        #expect(wrong.status == 401)
        #expect(wrong.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
        #expect(errorCode(wrong) == "invalid_api_key")
        #expect(try Self.get(s, "/v1/models", key: "").status == 401)

        // Scopes.
        #expect(try Self.get(s, "/v1/models", key: keys.infer).status == 200)
        let post = try s.client().post(
            "/v1/perplexity", json: #"{"model":"edge","texts":["a b"]}"#, headers: [("Authorization", "Bearer " + keys.infer)])
        #expect(post.status == 200)
        let noAdmin = try Self.get(s, "/admin/requests", key: keys.infer)
        #expect(noAdmin.status == 403)
        #expect(errorCode(noAdmin) == "insufficient_scope")
        #expect(try Self.get(s, "//admin/live-stats", key: keys.infer).status == 403)
        #expect(try Self.get(s, "/admin/requests", key: keys.admin).status == 200)
        #expect(try Self.get(s, "/admin/live-stats", key: keys.admin).status == 200)
        #expect(try Self.get(s, "/admin/requests").status == 401)
        #expect(try Self.get(s, "/v1/models", key: keys.admin).status == 403)
        #expect(try Self.get(s, "/metrics", key: keys.infer).status == 403)
        #expect(try Self.get(s, "/metrics").status == 401)
        #expect(try Self.get(s, "/metrics", key: keys.metrics).status == 200)
        await s.stop()
    }

    /// Keys added and revoked with the server running take effect on the next request.
    @Test func keyRotationWithoutRestart() async throws {
        let dir = TempDir()
        let keysPath = dir.path("keys.json")
        let keys = try Self.keys(at: keysPath)
        let s = try await RunningServer.edge(loggingTo: "") { $0.keysFile = keysPath }
        #expect(try Self.get(s, "/v1/models", key: keys.infer).status == 200)

        var file = try KeysFile.load(path: keysPath)
        let rotated = try file.add(name: "app-2", scopes: [.infer], limits: KeyLimits())
        try file.save(path: keysPath)
        #expect(try Self.get(s, "/v1/models", key: rotated).status == 200)
        #expect(try Self.get(s, "/v1/models", key: keys.infer).status == 200)

        try file.revoke(name: "app")
        try file.save(path: keysPath)
        #expect(try Self.get(s, "/v1/models", key: keys.infer).status == 401)
        #expect(try Self.get(s, "/v1/models", key: rotated).status == 200)

        // A broken file keeps the last good keys in force.
        try Data("not json".utf8).write(to: URL(fileURLWithPath: keysPath))
        #expect(try Self.get(s, "/v1/models", key: rotated).status == 200)
        #expect(try Self.get(s, "/v1/models", key: keys.infer).status == 401)
        await s.stop()
    }

    @Test func publicMetricsNeedNoKey() async throws {
        let dir = TempDir()
        let keysPath = dir.path("keys.json")
        _ = try Self.keys(at: keysPath)
        let s = try await RunningServer.edge(loggingTo: "") {
            $0.keysFile = keysPath
            $0.publicMetrics = true
        }
        #expect(try Self.get(s, "/metrics").status == 200)
        #expect(try Self.get(s, "/v1/models").status == 401)
        await s.stop()
    }

    /// Without keys on a non-loopback bind: the admin routes are off and say how to turn them
    /// on; the API works; `--log-text` is refused.
    @Test func safeWithoutKeysOnAnOpenBind() async throws {
        let s = try await RunningServer.edge(loggingTo: "") { $0.host = "0.0.0.0" }
        let admin = try Self.get(s, "/admin/requests")
        #expect(admin.status == 403)
        #expect(errorCode(admin) == "admin_disabled")
        #expect(admin.text.contains("--keys-file"))
        #expect(try Self.get(s, "/admin/live-stats").status == 403)
        #expect(try Self.get(s, "/v1/models").status == 200)
        #expect(try Self.get(s, "/metrics").status == 200)
        await s.stop()

        var c = ServerConfiguration()
        c.models = [.init(name: "edge", path: Shared.path("reference/kenlm/edge.arpa"))]
        c.logText = true
        #expect(c.validate().isEmpty)
        c.host = "0.0.0.0"
        #expect(c.validate().contains { $0.contains("--log-text") && $0.contains("--keys-file") })
        c.keysFile = "keys.json"
        #expect(c.validate().isEmpty)
    }

    /// On loopback without keys everything answers as before.
    @Test func loopbackWithoutKeysIsOpen() async throws {
        let dir = TempDir()
        let s = try await RunningServer.edge(loggingTo: dir.path("r.db"))
        #expect(try Self.get(s, "/admin/requests").status == 200)
        #expect(try Self.get(s, "/metrics").status == 200)
        await s.stop()
    }

    @Test func aMissingKeysFileStopsTheStart() async throws {
        let dir = TempDir()
        await #expect(throws: KeysFileError.self) {
            _ = try await RunningServer.edge(loggingTo: "") { $0.keysFile = dir.path("absent.json") }
        }
    }
}
