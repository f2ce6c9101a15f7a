import Foundation
import LMServeTools
import Testing

/// `lmserve keys` and `serve --keys-file` as the real binary runs them.
@Suite(.serialized) struct KeysProcessTests {
    @Test func keysCommandsThenAServerThatChecksThem() throws {
        let dir = TempDir()
        let keys = dir.path("keys.json")
        let added = try ProcessTests.runCapturingOutput(["keys", "add", "app", "--scopes", "infer", "--requests-per-second", "50", "--keys-file", keys])
        #expect(added.status == 0, "\(added.stderr)")
        let key = added.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.hasPrefix("lms_"))
        let file = try String(contentsOfFile: keys, encoding: .utf8)
        #expect(!file.contains(key))
        let again = try ProcessTests.runCapturingOutput(["keys", "add", "app", "--scopes", "infer", "--keys-file", keys])
        #expect(again.status == 1 && again.stderr.contains("exists already"), "\(again.stderr)")
        let badScope = try ProcessTests.runCapturingOutput(["keys", "add", "x", "--scopes", "root", "--keys-file", keys])
        #expect(badScope.status != 0 && badScope.stderr.contains("unknown scope 'root'"), "\(badScope.stderr)")
        let list = try ProcessTests.runCapturingOutput(["keys", "list", "--keys-file", keys])
        #expect(list.status == 0)
        #expect(list.stdout.contains("app\tinfer\t50.0\t-\t-\t"), "\(list.stdout)")
        #expect(!list.stdout.contains(key))

        let port = ProcessTests.freePort()
        let p = try ProcessTests.launch(
            ["--model", "edge=" + Shared.path("reference/kenlm/edge.arpa"), "--db", "", "--keys-file", keys], port: port)
        defer {
            p.terminate()
            p.waitUntilExit()
        }
        let client = try HTTPClient(port: port, receiveTimeoutSeconds: hangGuardSeconds)
        #expect(try client.request("GET", "/v1/models").status == 401)
        #expect(try client.request("GET", "/v1/models", headers: [("Authorization", "Bearer " + key)]).status == 200)
        let revoked = try ProcessTests.runCapturingOutput(["keys", "revoke", "app", "--keys-file", keys])
        #expect(revoked.status == 0)
        #expect(try client.request("GET", "/v1/models", headers: [("Authorization", "Bearer " + key)]).status == 401)
        #expect(try ProcessTests.runCapturingOutput(["keys", "revoke", "app", "--keys-file", keys]).status == 1)
    }

    @Test func logTextOnAnOpenAddressWithoutKeysIsRefused() throws {
        let refused = try ProcessTests.runCapturingOutput([
            "serve", "--host", "0.0.0.0", "--port", "0", "--log-text", "--db", "",
            "--model", "edge=" + Shared.path("reference/kenlm/edge.arpa"),
        ])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--log-text") && refused.stderr.contains("--keys-file"), "\(refused.stderr)")
        let missingKeys = try ProcessTests.runCapturingOutput([
            "serve", "--port", "0", "--db", "", "--keys-file", "/nonexistent/keys.json",
            "--model", "edge=" + Shared.path("reference/kenlm/edge.arpa"),
        ])
        #expect(missingKeys.status == 1)
        #expect(missingKeys.stderr.contains("cannot read keys file /nonexistent/keys.json"), "\(missingKeys.stderr)")
    }
}
