import Batching
import Foundation
import LMCore
import LMServeTools
import NGram
import Logging
import Telemetry
import Testing
@testable import Server

/// Models loaded, reloaded and unloaded while the server runs, through the admin API over real
/// sockets, on real model files. States are awaited on the registry's change events; the
/// suite's time limit is the hang guard.
@Suite(.timeLimit(.minutes(10))) struct ModelLifecycleTests {
    static let edge = Shared.path("reference/kenlm/edge.arpa")

    @Test func loadThroughTheAdminAPI() async throws {
        let server = try await RunningServer.start { c in c.models = [.init(name: "edge", path: Self.edge)] }
        let path = Shared.path("reference/kenlm/kjv2.arpa.gz")
        let r = try server.post(
            "/admin/models",
            body([
                "name": "kjv2", "path": path, "tokenizer": "basic", "batching": ["max_batch_size": 8],
                "defaults": ["max_tokens": 3],
            ]))
        #expect(r.status == 202, "\(r.text)")
        #expect(r.header("Location") == "/v1/models/kjv2")
        #expect(["loading", "ready"].contains(try json(r)["state"] as? String))
        await server.until { $0.entry(named: "kjv2")?.state == .ready }

        let info = try json(server.get("/v1/models/kjv2"))
        #expect(info["state"] as? String == "ready")
        #expect(info["version"] as? String == (try Self.expectedVersion(of: path)))
        #expect(info["sha256"] as? String == (try Self.sha256(path)))
        #expect((info["loaded_at"] as? String)?.hasSuffix("Z") == true)
        #expect(info["max_batch_size"] as? Int == 8)
        #expect(info["tokenizer"] as? String == "basic")
        let completion = try json(server.post("/v1/completions", body(["model": "kjv2", "prompt": "in the", "seed": 1])))
        #expect(((completion["usage"] as? [String: Any])?["completion_tokens"] as? Int).map { $0 <= 3 } == true)
        #expect(try server.get("/ready").status == 200)
        let list = try json(server.get("/v1/models"))["data"] as? [[String: Any]] ?? []
        #expect(list.compactMap { $0["id"] as? String } == ["edge", "kjv2"])
        let metrics = try server.get("/metrics").text
        #expect(metrics.contains(#"name="kjv2""#) && metrics.contains(#"version="\#(info["version"] as? String ?? "?")""#))
        await server.stop()
    }

    @Test func badRequestsAre4xxAndAFailedLoadSaysWhy() async throws {
        let server = try await RunningServer.start { c in c.models = [.init(name: "edge", path: Self.edge)] }
        let dir = TempDir()
        let empty = dir.path("empty.arpa")
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        func expect(_ r: HTTPClient.Response, _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(r.status == status, "\(r.text)", sourceLocation: sourceLocation)
            #expect(errorCode(r) == code, "\(r.text)", sourceLocation: sourceLocation)
        }
        expect(try server.post("/admin/models", body(["name": "edge", "path": Self.edge])), 409, "model_exists")
        expect(try server.post("/admin/models", body(["name": "x", "path": dir.path("none.arpa")])), 422, "invalid_model_file")
        expect(try server.post("/admin/models", body(["name": "x", "path": "/dev/zero"])), 422, "invalid_model_file")
        expect(try server.post("/admin/models", body(["name": "x", "path": dir.url.path])), 422, "invalid_model_file")
        expect(try server.post("/admin/models", body(["name": "x", "path": empty])), 422, "invalid_model_file")
        expect(try server.post("/admin/models", body(["name": "x", "path": ""])), 400, "invalid_field")
        expect(try server.post("/admin/models", body(["name": "a/b", "path": Self.edge])), 400, "invalid_field")
        expect(try server.post("/admin/models", body(["name": "x", "path": Self.edge, "batching": ["max_batch_size": 0]])), 400, "invalid_field")
        expect(try server.post("/admin/models", body(["name": "x", "path": Self.edge, "tokenizer": "nope"])), 400, "invalid_field")
        expect(try server.post("/admin/models", body(["name": "x"])), 400, "invalid_field")
        expect(try server.post("/admin/models", "{not json"), 400, "invalid_json")
        expect(try server.client().request("DELETE", "/admin/models/none"), 404, "model_not_found")
        expect(try server.post("/admin/models/none/reload", ""), 404, "model_not_found")
        #expect(server.server.registry.entriesSnapshot.map(\.name) == ["edge"])

        // A regular file that is no model: accepted, then `failed` with the loader's error.
        let garbage = dir.path("garbage.arpa")
        try "this is not an ARPA file\n".write(toFile: garbage, atomically: true, encoding: .utf8)
        #expect(try server.post("/admin/models", body(["name": "bad", "path": garbage])).status == 202)
        await server.until { $0.entry(named: "bad")?.state == .failed }
        let info = try json(server.get("/v1/models/bad"))
        #expect(info["state"] as? String == "failed")
        #expect((info["error"] as? String)?.contains(garbage) == true)
        expect(try server.post("/v1/perplexity", body(["model": "bad", "text": "a"])), 503, "model_failed")
        #expect(try server.get("/ready").status == 200, "a model added through the API does not hold readiness")
        #expect(try server.client().request("DELETE", "/admin/models/bad").status == 202)
        await server.until { $0.entry(named: "bad") == nil }
        expect(try server.get("/v1/models/bad"), 404, "model_not_found")
        await server.stop()
    }

    /// DELETE stops admitting at once, lets the request in flight finish on the model, then the
    /// name is gone.
    @Test func unloadLetsInFlightRequestsFinish() async throws {
        let server = try await RunningServer.start { c in c.models = [.init(name: "edge", path: Self.edge)] }
        let slow = SlowModel()
        server.server.registry.add(
            ServedModel(
                spec: .init(name: "slow", path: "slow"), version: ModelVersion(sha256: "51", modified: 0, size: 0), model: slow,
                tokenizer: .whitespace, batching: BatchingConfiguration(maxBatchSize: 1), hooks: SchedulerHooks(), loadSeconds: 0,
                logger: Logger(label: "test")))
        let port = server.port
        let inFlight = Task.detached {
            try HTTPClient(port: port, receiveTimeoutSeconds: hangGuardSeconds)
                .post("/v1/completions", json: body(["model": "slow", "prompt": "a", "max_tokens": 3]))
        }
        await slow.steps.until { $0 > 0 }
        let r = try server.client().request("DELETE", "/admin/models/slow")
        #expect(r.status == 202, "\(r.text)")
        #expect(try json(r)["state"] as? String == "draining")
        let refused = try server.post("/v1/completions", body(["model": "slow", "prompt": "a"]))
        #expect(refused.status == 503 && errorCode(refused) == "model_draining", "\(refused.text)")
        let done = try await inFlight.value
        #expect(done.status == 200, "\(done.text)")
        #expect(((try json(done)["usage"] as? [String: Any])?["completion_tokens"] as? Int) == 3)
        await server.until { $0.entry(named: "slow") == nil }
        #expect(try server.get("/v1/models/slow").status == 404)
        await server.stop()
    }

    /// A reload loads the new file next to the old and swaps: a request admitted before keeps
    /// the old version to its end, later ones get the new; a failed reload leaves the serving
    /// version and says why; every request-log row names the version that served it.
    @Test func reloadSwapsVersions() async throws {
        let dir = TempDir()
        let (server, path) = try await Self.servingACopy(in: dir)
        let v1 = try Self.expectedVersion(of: path)
        #expect(server.server.registry.entry(named: "m")?.current?.version.id == v1)
        #expect(try server.post("/v1/perplexity", body(["model": "m", "text": "a b"])).status == 200)

        let admitted = try server.server.registry.lease(named: "m")
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: Shared.path("reference/kenlm/edge_nounk.arpa"), toPath: path)
        let v2 = try Self.expectedVersion(of: path)
        #expect(v2 != v1)
        let r = try server.post("/admin/models/m/reload", "")
        #expect(r.status == 202, "\(r.text)")
        await server.until { $0.entry(named: "m")?.current?.version.id == v2 }
        #expect(try json(server.get("/v1/models/m"))["version"] as? String == v2)
        #expect(try server.post("/v1/perplexity", body(["model": "m", "text": "a b"])).status == 200)
        // The request admitted before the swap still runs on the old version.
        #expect(admitted.model.version.id == v1)
        let old = try await admitted.model.engine.score(ScoringRequest(sentences: [["a"]], sentenceContext: true))
        #expect(old.sentences.count == 1)
        let oldEngine = admitted.model.engine
        admitted.release()
        await server.server.lifecycle.settle()
        await #expect(throws: BatchingError.shuttingDown) {
            _ = try await oldEngine.score(ScoringRequest(sentences: [["a"]], sentenceContext: true))
        }

        // A failed reload: the serving version stays, and the model says why.
        try "not a model\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try server.post("/admin/models/m/reload", "").status == 202)
        await server.until { $0.entry(named: "m")?.reload?.state == .failed }
        let info = try json(server.get("/v1/models/m"))
        #expect(info["state"] as? String == "ready")
        #expect(info["version"] as? String == v2)
        let reload = info["reload"] as? [String: Any]
        #expect(reload?["state"] as? String == "failed")
        #expect((reload?["error"] as? String)?.contains(path) == true)
        #expect(try server.post("/v1/perplexity", body(["model": "m", "text": "a b"])).status == 200)

        // A reload from another path.
        #expect(try server.post("/admin/models/m/reload", body(["path": Self.edge])).status == 202)
        let v3 = try Self.expectedVersion(of: Self.edge)
        await server.until { $0.entry(named: "m")?.current?.version.id == v3 }
        #expect(try server.post("/v1/perplexity", body(["model": "m", "text": "a b"])).status == 200)
        await server.stop()

        let reader = try RequestLogReader(path: dir.path("log.db"))
        defer { reader.close() }
        let rows = try reader.requests(matching: RequestQuery(route: "/v1/perplexity")).reversed()
        #expect(rows.map(\.modelVersion) == [v1, v2, v2, v3])
        let events = try reader.modelEvents().map(\.kind)
        #expect(events == [.load, .reload, .failure, .reload])
    }

    /// An ensemble holds its members: unloading one is refused (409, naming the ensemble) until
    /// the ensemble goes; reloading one rebuilds the ensemble on the new version.
    @Test func ensemblesHoldTheirMembers() async throws {
        let dir = TempDir()
        let (server, path) = try await Self.servingACopy(in: dir) { c in
            c.models += [
                .init(name: "edge", path: Self.edge),
                .init(name: "mix", members: [.init(name: "m", weight: 0.5), .init(name: "edge", weight: 0.5)]),
            ]
        }
        let refused = try server.client().request("DELETE", "/admin/models/m")
        #expect(refused.status == 409 && errorCode(refused) == "model_in_use", "\(refused.text)")
        #expect(refused.text.contains("mix"))
        let before = try #require(server.server.registry.entry(named: "mix")?.current?.version.id)
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: Shared.path("reference/kenlm/edge_nounk.arpa"), toPath: path)
        #expect(try server.post("/admin/models/m/reload", "").status == 202)
        await server.until { $0.entry(named: "mix")?.current.map { $0.version.id != before } == true }
        #expect(try server.post("/v1/perplexity", body(["model": "mix", "text": "a b"])).status == 200)
        #expect(try server.client().request("DELETE", "/admin/models/mix").status == 202)
        #expect(try server.client().request("DELETE", "/admin/models/m").status == 202)
        await server.until { $0.entry(named: "m") == nil && $0.entry(named: "mix") == nil }
        await server.stop()
    }

    /// Unloading an `.lmb` N-gram model (served from its memory map) unmaps its file.
    @Test func unloadUnmapsTheModelFile() async throws {
        let dir = TempDir()
        let path = dir.path("kjv2.lmb")
        try NGramModel.loadARPA(path: Shared.path("reference/kenlm/kjv2.arpa.gz"), logger: Logger(label: "test")).writeBinary(to: path)
        let server = try await RunningServer.start { c in c.models = [.init(name: "edge", path: Self.edge)] }
        #expect(try server.post("/admin/models", body(["name": "kjv2", "path": path, "tokenizer": "basic"])).status == 202)
        await server.until { $0.entry(named: "kjv2")?.state == .ready }
        #expect(try Self.mapped(path))
        #expect(try server.post("/v1/perplexity", body(["model": "kjv2", "text": "in the beginning"])).status == 200)
        #expect(try server.client().request("DELETE", "/admin/models/kjv2").status == 202)
        await server.until { $0.entry(named: "kjv2") == nil }
        await server.server.lifecycle.settle()
        // The engine thread lets go of the model just after it signals its exit: wait for the
        // mapping to go (the suite's time limit is the hang guard).
        while try Self.mapped(path) { try await Task.sleep(for: .milliseconds(10)) }
        await server.stop()
    }

    /// What SIGHUP does with the file it reads again: models added, removed and changed are
    /// loaded, unloaded and reloaded, the request limits change; a configuration that is
    /// invalid or names a file that cannot load changes nothing.
    @Test func applyingAConfigurationChangesTheDifference() async throws {
        let dir = TempDir()
        let path = dir.path("m.arpa")
        try FileManager.default.copyItem(atPath: Self.edge, toPath: path)
        let server = try await RunningServer.start { c in
            c.models = [.init(name: "edge", path: Self.edge), .init(name: "m", path: path)]
            c.limits.maxTokens = 64
        }
        var new = server.server.configuration
        var m = ServerConfiguration.Model(name: "m", path: path)
        m.defaults.maxTokens = 2
        new.models = [m, .init(name: "kjv2", path: Shared.path("reference/kenlm/kjv2.arpa.gz"))]
        new.limits.maxTokens = 16
        new.port = 1  // needs a restart: reported, not applied
        let change = try server.server.apply(new)
        #expect(change.added == ["kjv2"])
        #expect(change.removed == ["edge"])
        #expect(change.reloaded == ["m"])
        #expect(change.applied == ["limits.max_tokens"])
        #expect(change.needRestart == ["port"])
        await server.until { r in
            r.entry(named: "kjv2")?.state == .ready && r.entry(named: "edge") == nil
                && r.entry(named: "m")?.current?.defaults.maxTokens == 2
        }
        #expect(try server.get("/ready").status == 200)
        let over = try server.post("/v1/completions", body(["model": "m", "prompt": "a", "max_tokens": 17]))
        #expect(over.status == 400 && errorCode(over) == "limit_exceeded", "\(over.text)")
        let usage = try json(server.post("/v1/completions", body(["model": "m", "prompt": "a", "seed": 1])))["usage"] as? [String: Any]
        #expect((usage?["completion_tokens"] as? Int).map { $0 <= 2 } == true)

        var missing = new
        missing.models.append(.init(name: "x", path: dir.path("none.arpa")))
        missing.limits.maxTokens = 100
        #expect(throws: ConfigurationError.self) { try server.server.apply(missing) }
        var invalid = new
        invalid.batching.maxBatchSize = 0
        #expect(throws: ConfigurationError.self) { try server.server.apply(invalid) }
        #expect(server.server.registry.entriesSnapshot.map(\.name) == ["m", "kjv2"])
        #expect(server.server.limits.current.maxTokens == 16)
        await server.stop()
    }

    /// `--watch`: a file replaced with new bytes is reloaded; one touched with the same bytes
    /// is not.
    @Test func watchReloadsAChangedFile() async throws {
        let dir = TempDir()
        let (server, path) = try await Self.servingACopy(in: dir) { $0.watchIntervalSeconds = 0.05 }
        let v1 = try #require(server.server.registry.entry(named: "m")?.current?.version)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: path)
        let next = dir.path("next.arpa")
        try FileManager.default.copyItem(atPath: Shared.path("reference/kenlm/edge_nounk.arpa"), toPath: next)
        #expect(rename(next, path) == 0)
        await server.until { $0.entry(named: "m")?.current?.version.sha256 != v1.sha256 }
        await server.server.lifecycle.settle()
        await server.stop()
        let reader = try RequestLogReader(path: dir.path("log.db"))
        defer { reader.close() }
        #expect(try reader.modelEvents().map(\.kind) == [.load, .reload])
    }

    /// A server of `m`, a copy of edge.arpa in `dir`, logging to `dir`/log.db.
    static func servingACopy(
        in dir: TempDir, _ configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> (RunningServer, path: String) {
        let path = dir.path("m.arpa")
        try FileManager.default.copyItem(atPath: edge, toPath: path)
        let server = try await RunningServer.start { c in
            c.models = [.init(name: "m", path: path)]
            c.database = dir.path("log.db")
            configure(&c)
        }
        return (server, path)
    }

    /// Whether `path` is mapped into this process. /proc files report size 0: read to EOF.
    static func mapped(_ path: String) throws -> Bool {
        let maps = try #require(FileHandle(forReadingAtPath: "/proc/self/maps"))
        defer { try? maps.close() }
        return String(decoding: maps.readDataToEndOfFile(), as: UTF8.self).contains(path)
    }

    static func sha256(_ path: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(String(decoding: data, as: UTF8.self).prefix(64))
    }

    /// `ModelVersion.id` computed independently: sha256sum's digest and the file's mtime.
    static func expectedVersion(of path: String) throws -> String {
        let modified = try #require(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)
        return "\(try sha256(path).prefix(12))-\(Int(modified.timeIntervalSince1970))"
    }
}

extension RunningServer {
    /// Returns once `condition` holds for the model table, woken by each of its changes.
    func until(_ condition: (ModelRegistry) -> Bool) async {
        let registry = server.registry
        while true {
            let seen = registry.changeCount
            if condition(registry) { return }
            await registry.waitForChange(after: seen)
        }
    }
}
