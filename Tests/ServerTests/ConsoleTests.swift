import Foundation
import HTTP
import Testing
@testable import Server

@Suite struct ConsoleTests {
    /// The embedded files are exactly the files of Sources/Server/Console/Web/, byte for byte.
    @Test func embeddedFilesMatchTheConsoleFolder() throws {
        let folder = Shared.repo.appendingPathComponent("Sources/Server/Console/Web")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { ConsoleAssets.contentType(of: $0) != nil }
        #expect(Set(names) == Set(ConsoleAssets.files.keys), "list every file of Console/Web in ConsoleAssets.files")
        for name in names {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            #expect(ConsoleAssets.files[name] == text, "Console/Web/\(name) differs from its embedded copy")
        }
    }

    @Test func pageAndEveryFileItLoadsAreServed() async throws {
        let server = try await SharedServer.shared.get()
        for path in ["/", "/console"] {
            let page = try server.get(path)
            #expect(page.status == 200)
            #expect(page.header("Content-Type") == "text/html; charset=utf-8")
            #expect(page.text == ConsoleAssets.files["index.html"])
            #expect(page.header("Content-Security-Policy")?.contains("script-src 'self'") == true)
            #expect(page.header("X-Content-Type-Options") == "nosniff")
        }
        // Every /console/… reference of the page and every module a script imports.
        let html = ConsoleAssets.files["index.html"]!
        var referenced = Set(matches(of: #""/console/([^"]+)""#, in: html))
        for (name, text) in ConsoleAssets.files where name.hasSuffix(".js") {
            referenced.formUnion(matches(of: #"from "\./([^"]+)""#, in: text))
        }
        #expect(referenced.isSuperset(of: ["main.js", "console.css", "api.js", "charts.js"]))
        for name in referenced {
            let response = try server.get("/console/\(name)")
            #expect(response.status == 200, "/console/\(name)")
            #expect(response.header("Content-Type") == ConsoleAssets.contentType(of: name))
            #expect(response.text == ConsoleAssets.files[name])
        }
        let missing = try server.get("/console/nope.js")
        #expect(missing.status == 404)
        #expect(errorCode(missing) == "not_found")
    }

    /// Traffic shows up in `GET /admin/live-stats` once its second is complete.
    @Test func liveStatsCountTheTraffic() async throws {
        let server = try await RunningServer.start { c in
            c.models = [.init(name: "edge", path: Shared.path("reference/kenlm/edge.arpa"))]
        }
        var scored = 0
        for i in 0..<6 {
            let r = try server.post("/v1/perplexity", body(["model": "edge", "text": "looking on a little \(i)"]))
            #expect(r.status == 200)
            scored += try #require((try json(r)["total"] as? [String: Any])?["tokens"] as? Int)
        }
        let generated = try server.post("/v1/completions", body(["model": "edge", "prompt": "looking", "max_tokens": 4, "seed": 3]))
        #expect(generated.status == 200)
        let usage = try #require(try json(generated)["usage"] as? [String: Any])
        let produced = try #require(usage["completion_tokens"] as? Int)
        for _ in 0..<2 { #expect(try server.post("/v1/perplexity", body(["model": "nope", "text": "a"])).status == 404) }

        // Poll until the seconds holding the traffic are complete; 600 s is a hang guard only.
        var stats: [String: Any] = [:]
        var edge: [String: Any] = [:]
        let deadline = Date().addingTimeInterval(600)
        repeat {
            let r = try server.get("/admin/live-stats")
            #expect(r.status == 200)
            #expect(r.header("Cache-Control") == "no-store")
            stats = try json(r)
            edge = ((stats["models"] as? [[String: Any]]) ?? []).first { $0["model"] as? String == "edge" } ?? [:]
            if (edge["tokens"] as? [Int])?.reduce(0, +) == scored + produced { break }
            try await Task.sleep(for: .milliseconds(100))
        } while Date() < deadline
        await server.stop()

        #expect(stats["object"] as? String == "live_stats")
        #expect(stats["interval_s"] as? Int == 1)
        let start = try #require(stats["start"] as? Int)
        #expect(start + 300 <= Int(Date().timeIntervalSince1970))
        let requests = try #require(stats["requests"] as? [String: [Int]])
        #expect(requests.keys.sorted() == ["1xx", "2xx", "3xx", "4xx", "5xx"])
        #expect(requests.values.allSatisfy { $0.count == 300 })
        #expect(requests["4xx"]!.reduce(0, +) == 2)
        #expect(requests["2xx"]!.reduce(0, +) >= 7)
        #expect(requests["5xx"]!.reduce(0, +) == 0)
        let tokens = try #require(edge["tokens"] as? [Int])
        #expect(tokens.reduce(0, +) == scored + produced)
        let batches = (edge["batch_size"] as? [Any] ?? []).compactMap { $0 as? Double }
        #expect(!batches.isEmpty && batches.allSatisfy { $0 >= 1 })
        let latency = try #require(stats["latency_ms"] as? [String: [Any]])
        let p50 = latency["p50"]!.compactMap { $0 as? Double }
        let p99 = latency["p99"]!.compactMap { $0 as? Double }
        #expect(!p50.isEmpty && p50.count == p99.count)
        #expect(zip(p50, p99).allSatisfy { $0 <= $1 && $0 > 0 })
        #expect(stats["inflight"] as? Int == 1, "the stats request itself")
    }

    private func matches(of pattern: String, in text: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: pattern)
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: 1), in: text).map { String(text[$0]) }
        }
    }
}
