import Foundation
import HTTP
import LMServeTools
import Testing
@testable import Telemetry

/// Tests that run the real `lmserve` executable (built next to the test bundle).
@Suite(.serialized) struct ProcessTests {
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lmserve").path
    }

    static func freePort() -> Int {
        let (fd, port) = boundSocket()
        close(fd)
        return port
    }

    /// A TCP socket bound to a free port on 127.0.0.1 (the caller closes it).
    static func boundSocket() -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }

    /// Starts `lmserve serve` and waits until /ready answers 200.
    static func launch(
        _ arguments: [String], port: Int, standardOutput: Any = FileHandle.nullDevice, standardError: Any = FileHandle.standardError
    ) throws -> Process {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw HTTPClient.Failure(description: "\(binary) is missing: build the lmserve product first")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["serve", "--port", "\(port)", "--log-level", "warning"] + arguments
        p.standardOutput = standardOutput
        p.standardError = standardError
        try p.run()
        for _ in 0..<6000 {
            if let r = try? HTTPClient(port: port, receiveTimeoutSeconds: 5).request("GET", "/ready"), r.status == 200 { return p }
            guard p.isRunning else { throw HTTPClient.Failure(description: "lmserve exited with \(p.terminationStatus)") }
            Thread.sleep(forTimeInterval: 0.1)  // another process: /ready is its only signal (600 s cap, a hang guard)
        }
        p.terminate()
        throw HTTPClient.Failure(description: "lmserve did not become ready")
    }

    /// SIGTERM during a long request: `/ready` turns 503 at once and stays so while `/health`
    /// stays 200 (probes on new connections are still answered), the request completes, then
    /// the process exits 0.
    @Test func sigtermDrainsThenExitsZero() throws {
        let port = Self.freePort()
        let dir = TempDir()
        let p = try Self.launch(["--model", "kjv2=" + Shared.path("reference/kenlm/kjv2.arpa.gz"), "--db", dir.path("r.db")], port: port)
        let verse = "and god said , let there be light : and there was light .\n"
        let text = String(repeating: verse, count: 120_000)
        let client = try HTTPClient(port: port, receiveTimeoutSeconds: hangGuardSeconds)
        try client.send("POST", "/v1/perplexity", headers: [("Content-Type", "application/json")],
                        body: Array(body(["model": "kjv2", "text": text, "per_token": true]).utf8))
        // SIGTERM once the server is handling it (the probe itself is the other in-flight request),
        // however slowly a loaded machine gets there.
        let probe = try HTTPClient(port: port, receiveTimeoutSeconds: hangGuardSeconds)
        var inFlight = false
        for _ in 0..<30_000 where !inFlight {
            let metrics = try probe.request("GET", "/metrics").text
            let line = metrics.split(separator: "\n").first { $0.hasPrefix("lmserve_inflight_requests ") }
            inFlight = (line?.split(separator: " ").last.flatMap { Double($0) } ?? 0) >= 2
            if !inFlight { Thread.sleep(forTimeInterval: 0.01) }  // another process: only /metrics shows it (300 s cap, a hang guard)
        }
        try #require(inFlight, "the request never showed as in flight")
        kill(p.processIdentifier, SIGTERM)
        // The handler runs asynchronously: wait for the first 503 (hang guard only). A probe
        // connected just before the drain began may be closed with the idle connections.
        var ready = 200
        for _ in 0..<3000 where ready == 200 {
            ready = (try? HTTPClient(port: port, receiveTimeoutSeconds: hangGuardSeconds).request("GET", "/ready").status) ?? 200
        }
        #expect(ready == 503)
        let health = try HTTPClient(port: port, receiveTimeoutSeconds: hangGuardSeconds).request("GET", "/health")
        #expect(health.status == 200)
        #expect(health.header("Connection") == "close")
        let stillDraining = try HTTPClient(port: port, receiveTimeoutSeconds: hangGuardSeconds).request("GET", "/ready")
        #expect(stillDraining.status == 503)
        #expect(stillDraining.header("Retry-After") == "1")
        #expect(stillDraining.text.contains("shutting_down"))
        #expect(p.isRunning)
        let head = try client.readHead()
        #expect(head.status == 200)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit)
        #expect(p.terminationStatus == 0)
        // The drained request was logged.
        let reader = try RequestLogReader(path: dir.path("r.db"))
        defer { reader.close() }
        #expect(try reader.requests(matching: RequestQuery(limit: 10)).contains { $0.route == "/v1/perplexity" && $0.status == 200 })
    }

    /// `--access-log json`: one JSON line per request on stdout, also with the SQLite store off;
    /// texts only with `--log-text`.
    @Test func accessLogWritesJSONLinesToStdout() throws {
        for logText in [false, true] {
            let port = Self.freePort()
            let stdout = Pipe()
            let p = try Self.launch(
                ["--model", "kjv2=" + Shared.path("reference/kenlm/kjv2.arpa.gz"), "--db", "", "--access-log", "json"]
                    + (logText ? ["--log-text"] : []), port: port, standardOutput: stdout)
            let client = try HTTPClient(port: port, receiveTimeoutSeconds: hangGuardSeconds)
            let scored = try client.request(
                "POST", "/v1/perplexity", headers: [("Content-Type", "application/json"), ("X-Request-Id", "scored-1")],
                body: Array(body(["model": "kjv2", "text": "in the beginning god created the heaven"]).utf8))
            #expect(scored.status == 200)
            let missing = try client.request(
                "POST", "/v1/perplexity", headers: [("Content-Type", "application/json"), ("X-Request-Id", "missing-1")],
                body: Array(body(["model": "nope", "text": "x"]).utf8))
            #expect(missing.status == 404)
            kill(p.processIdentifier, SIGTERM)
            let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
            let records = try output.split(separator: "\n").map { try RequestLogJSON.decodeRecord(String($0)) }
            let byID = Dictionary(records.map { ($0.requestID, $0) }, uniquingKeysWith: { a, _ in a })
            let ok = try #require(byID["scored-1"])
            #expect(ok.route == "/v1/perplexity" && ok.model == "kjv2" && ok.status == 200 && ok.scoredTokens == 8)
            #expect(ok.promptText == (logText ? "in the beginning god created the heaven" : nil))
            #expect(byID["missing-1"]?.status == 404)
            #expect(records.contains { $0.route == "/ready" }, "the readiness probe's requests are logged too")
        }
    }

    /// SIGKILL under load leaves a database that passes integrity_check; a restart appends.
    @Test func sigkillUnderLoadKeepsTheDatabaseIntact() throws {
        let port = Self.freePort()
        let dir = TempDir()
        let db = dir.path("r.db")
        let args = ["--model", "edge=" + Shared.path("reference/kenlm/edge.arpa"), "--db", db]
        let p = try Self.launch(args, port: port)
        // Four clients send until the server dies; the kill comes once 20 requests were
        // answered (up to 10 counted per client), so rows are being written when it lands.
        let answered = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        for t in 0..<4 {
            DispatchQueue.global().async(group: group) {
                guard let c = try? HTTPClient(port: port, receiveTimeoutSeconds: 5) else { return }
                var i = 0
                while (try? c.post("/v1/perplexity", json: body(["model": "edge", "text": "looking on a \(t) \(i)"]))) != nil {
                    if i < 10 { answered.signal() }
                    i += 1
                }
            }
        }
        for _ in 0..<20 { answered.wait() }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        group.wait()
        let database = try SQLiteDatabase(path: db)
        let check = try database.query("PRAGMA integrity_check") { $0.text(at: 0) }
        #expect(check == ["ok"])
        let before = try database.scalarInt("SELECT COUNT(*) FROM requests") ?? 0
        database.close()

        let again = try Self.launch(args, port: port)
        _ = try HTTPClient(port: port, receiveTimeoutSeconds: hangGuardSeconds).post("/v1/perplexity", json: body(["model": "edge", "text": "after restart"]))
        kill(again.processIdentifier, SIGTERM)
        again.waitUntilExit()
        #expect(again.terminationStatus == 0)
        let reopened = try SQLiteDatabase(path: db)
        defer { reopened.close() }
        let after = try reopened.scalarInt("SELECT COUNT(*) FROM requests") ?? 0
        #expect(after >= before + 2)  // the /ready probe and the request
    }

    /// `lmserve ppl` on the PyTorch reference LSTM: PyTorch's corpus perplexity (README: 60.412407).
    @Test func pplScoresAnLSTM() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw HTTPClient.Failure(description: "\(Self.binary) is missing: build the lmserve product first")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = ["ppl", "--model", Shared.path("reference/pytorch/kjv-lstm-2x512.safetensors"), "--json",
                       "--input", Shared.path("corpora/kjv/test.txt")]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let ppl = try #require((object["kenlm"] as? [String: Any])?["perplexity"] as? Double)
        #expect(abs(ppl / 60.412407 - 1) < 1e-4, "perplexity \(ppl)")
        #expect(object["tokens"] as? Int == 46861)
    }

    /// Runs `lmserve ARGUMENTS` to its exit; returns the status, standard output and standard
    /// error (both read to their end before waiting, so the child never blocks on a full pipe).
    static func runCapturingOutput(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self))
    }

    /// Runs `lmserve ARGUMENTS` to its exit; returns the status and standard error.
    static func runToExit(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw HTTPClient.Failure(description: "\(binary) is missing: build the lmserve product first")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        p.standardError = err
        try p.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Startup failures name what failed, exit 1, and print no usage text (that is for mistyped
    /// flags, which still get it).
    @Test func startupFailuresSayWhatFailedWithoutUsage() throws {
        let dir = TempDir()
        let model = "edge=" + Shared.path("reference/kenlm/edge.arpa")
        // The log's directory is a regular file: the log cannot be created (root ignores
        // directory permissions, so a read-only directory would not fail here).
        let notADirectory = dir.path("plain-file")
        try Data("x".utf8).write(to: URL(fileURLWithPath: notADirectory))
        let cannotCreate = try Self.runToExit(["serve", "--port", "0", "--model", model, "--db", notADirectory + "/r.db"])
        #expect(cannotCreate.status == 1)
        #expect(cannotCreate.stderr.contains("cannot create the request log \(notADirectory)/r.db"), "\(cannotCreate.stderr)")
        #expect(!cannotCreate.stderr.contains("cannot read"))
        #expect(!cannotCreate.stderr.contains("Usage"), "\(cannotCreate.stderr)")

        // The port is taken by a listening socket: bind fails, naming the address and port.
        let (fd, port) = Self.boundSocket()
        defer { close(fd) }
        try #require(listen(fd, 1) == 0)
        let taken = try Self.runToExit(["serve", "--port", "\(port)", "--model", model, "--db", dir.path("r.db")])
        #expect(taken.status == 1)
        #expect(taken.stderr.contains("bind failed for 127.0.0.1:\(port): Address already in use"), "\(taken.stderr)")
        #expect(!taken.stderr.contains("Usage"), "\(taken.stderr)")

        // A missing model file is a runtime failure too.
        let missing = try Self.runToExit(["serve", "--port", "0", "--model", "m=" + dir.path("absent.arpa"), "--db", dir.path("r2.db")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("absent.arpa"), "\(missing.stderr)")
        #expect(!missing.stderr.contains("Usage"), "\(missing.stderr)")

        // A mistyped flag still shows the usage.
        let typo = try Self.runToExit(["serve", "--max-batch-size", "lots"])
        #expect(typo.status != 0)
        #expect(typo.stderr.contains("Usage"), "\(typo.stderr)")
    }

    /// SIGHUP to the real process: the config file is read again and applied (a model added,
    /// one removed, one reloaded from a new path); an invalid file is logged and changes nothing.
    @Test(.timeLimit(.minutes(10))) func sighupAppliesTheConfigFile() throws {
        let dir = TempDir()
        let config = dir.path("lmserve.yaml")
        let edge = Shared.path("reference/kenlm/edge.arpa")
        func write(_ models: [(String, String)]) throws {
            let list = models.map { "  - {name: \($0.0), path: \($0.1)}" }.joined(separator: "\n")
            try "telemetry: {db: r.db}\nmodels:\n\(list)\n".write(toFile: config, atomically: true, encoding: .utf8)
        }
        try write([("edge", edge), ("gone", edge)])
        let port = Self.freePort()
        let output = Pipe()  // the log goes to standard error
        let p = try Self.launch(["--config", config], port: port, standardError: output)
        let client = try HTTPClient(port: port, receiveTimeoutSeconds: hangGuardSeconds)
        func models() throws -> [String: [String: Any]] {
            let list = try json(client.request("GET", "/v1/models"))["data"] as? [[String: Any]] ?? []
            return Dictionary(uniqueKeysWithValues: list.map { ($0["id"] as? String ?? "", $0) })
        }
        let nounk = Shared.path("reference/kenlm/edge_nounk.arpa")
        try write([("edge", nounk), ("kjv2", Shared.path("reference/kenlm/kjv2.arpa.gz"))])
        kill(p.processIdentifier, SIGHUP)
        var seen: [String: [String: Any]] = [:]
        for _ in 0..<6000 {
            seen = try models()
            if Set(seen.keys) == ["edge", "kjv2"], seen["kjv2"]?["state"] as? String == "ready", seen["edge"]?["file"] as? String == nounk { break }
            Thread.sleep(forTimeInterval: 0.1)  // another process: its model list is the only signal (600 s cap, a hang guard)
        }
        #expect(Set(seen.keys) == ["edge", "kjv2"])
        #expect(seen["edge"]?["file"] as? String == nounk)
        #expect(seen["kjv2"]?["state"] as? String == "ready")

        // An invalid file: logged, nothing changes.
        try "models: [".write(toFile: config, atomically: true, encoding: .utf8)
        kill(p.processIdentifier, SIGHUP)
        let reader = output.fileHandleForReading
        var log = ""
        while !log.contains("configuration not applied") {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            log += String(decoding: chunk, as: UTF8.self)
        }
        #expect(log.contains("configuration not applied"), "\(log)")
        #expect(Set(try models().keys) == ["edge", "kjv2"])
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    /// `lmserve models` against the real server, and runtime failures of the client commands:
    /// one line on standard error, exit 1, no usage text.
    @Test(.timeLimit(.minutes(10))) func modelsCommandAndRuntimeFailures() throws {
        let dir = TempDir()
        let port = Self.freePort()
        let p = try Self.launch(["--model", "edge=" + Shared.path("reference/kenlm/edge.arpa"), "--db", dir.path("r.db")], port: port)
        defer { p.terminate() }
        let url = "http://127.0.0.1:\(port)"
        let kjv2 = Shared.path("reference/kenlm/kjv2.arpa.gz")
        #expect(try Self.runToExit(["models", "load", "kjv2", kjv2, "--tokenizer", "basic", "--url", url, "--wait"]).status == 0)
        let info = try json(HTTPClient(port: port, receiveTimeoutSeconds: hangGuardSeconds).request("GET", "/v1/models/kjv2"))
        #expect(info["state"] as? String == "ready")
        #expect(try Self.runToExit(["models", "reload", "kjv2", "--url", url, "--wait"]).status == 0)
        #expect(try Self.runToExit(["models", "unload", "kjv2", "--url", url, "--wait"]).status == 0)
        #expect(try HTTPClient(port: port, receiveTimeoutSeconds: hangGuardSeconds).request("GET", "/v1/models/kjv2").status == 404)

        let failures: [[String]] = [
            ["models", "load", "x", dir.path("none.arpa"), "--url", url],
            ["models", "unload", "none", "--url", url],
            ["models", "list", "--url", "http://127.0.0.1:1"],
            ["logs", "--db", dir.path("none.db")],
            ["stats", "--db", dir.path("none.db")],
            ["bench", "--model", "edge", "--url", "http://127.0.0.1:1", "--duration", "1"],
            ["ppl", "--model", dir.path("none.arpa"), "--input", dir.path("none.txt")],
            ["ppl", "--model", Shared.path("reference/kenlm/edge.arpa"), "--tokenizer", "sentencepiece:" + dir.path("none.model")],
        ]
        for arguments in failures {
            let run = try Self.runToExit(arguments)
            #expect(run.status == 1, "\(arguments): \(run.stderr)")
            #expect(run.stderr.hasPrefix("lmserve: "), "\(arguments): \(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(arguments): \(run.stderr)")
            #expect(!run.stderr.contains("Usage"), "\(arguments): \(run.stderr)")
        }
        // A mistyped flag still shows the usage.
        #expect(try Self.runToExit(["models", "list", "--no-such-flag"]).stderr.contains("Usage"))
    }
}
