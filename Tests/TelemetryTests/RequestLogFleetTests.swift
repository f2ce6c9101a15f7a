import Foundation
import Testing
@testable import Telemetry

/// Several replicas' request logs read as one (`lmserve logs`/`stats` with several --db).
@Suite struct RequestLogFleetTests {
    /// Three logs whose rows interleave in time: replica k holds the records with index ≡ k (mod 3).
    static func makeFleet(_ dir: TempDirectory) throws -> (paths: [String], records: [(String, RequestRecord)]) {
        var expected: [(String, RequestRecord)] = []
        var paths: [String] = []
        for replica in 0..<3 {
            let path = dir.path("replica\(replica).db")
            let log = try SQLiteRequestLog(path: path, logger: testLogger)
            for index in stride(from: replica, to: 90, by: 3) {
                let record = makeRecord(index)
                log.record(record)
                expected.append(("replica\(replica)", record))
            }
            log.close()
            paths.append(path)
        }
        return (paths, expected)
    }

    @Test func rowsMergeByTimeWithTheirInstance() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let (paths, records) = try Self.makeFleet(dir)
        let fleet = try RequestLogFleet(paths: paths)
        #expect(fleet.members.map(\.instance) == ["replica0", "replica1", "replica2"])
        let newestFirst = records.sorted { $0.1.time > $1.1.time }
        let all = try fleet.requests(matching: RequestQuery(limit: 1000))
        #expect(all.map(\.instance) == newestFirst.map(\.0))
        #expect(all.map(\.record) == newestFirst.map(\.1))
        // A page of the merged rows, and a filter applied in every log.
        let page = try fleet.requests(matching: RequestQuery(limit: 10, offset: 25))
        #expect(page.map(\.record) == Array(newestFirst.map(\.1).dropFirst(25).prefix(10)))
        let errors = try fleet.requests(matching: RequestQuery(status: .statusClass(5), limit: 1000))
        #expect(errors.map(\.record) == newestFirst.map(\.1).filter { $0.status >= 500 })
        #expect(Set(errors.map(\.instance)).count == 3)
    }

    @Test func statsCoverEveryLogWithAGroupPerInstance() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let (paths, records) = try Self.makeFleet(dir)
        let stats = try RequestLogFleet(paths: paths).stats(matching: RequestQuery())
        let samples = records.map {
            RequestStats.Sample(
                time: $0.1.time, route: $0.1.route, model: $0.1.model, status: $0.1.status, latencyMs: $0.1.latencyMs,
                tokens: $0.1.totalTokens)
        }
        let together = RequestStats(samples: samples)
        #expect(stats.overall == together.overall)
        #expect(stats.byRoute == together.byRoute)
        #expect(stats.byModel == together.byModel)
        let byInstance = try #require(stats.byInstance)
        #expect(byInstance.map(\.key) == ["replica0", "replica1", "replica2"])
        #expect(byInstance.map(\.count) == [30, 30, 30])
        for group in byInstance {
            let own = samples.enumerated().filter { records[$0.offset].0 == group.key }.map(\.element)
            #expect(group == RequestStats(samples: own).overall.renamed(group.key))
        }
        let text = RequestLogText.table(stats)
        #expect(text.contains("INSTANCE"))
        #expect(text.contains("replica2"))
        let json = try JSONSerialization.jsonObject(with: RequestLogJSON.stats(stats)) as? [String: Any]
        #expect((json?["by_instance"] as? [[String: Any]])?.count == 3)
        // One log: the stats and their JSON are those of that log alone, without instances.
        let single = try RequestLogFleet(paths: [paths[0]]).stats(matching: RequestQuery())
        #expect(single.byInstance == nil)
        #expect(single == (try RequestLogReader(path: paths[0]).stats(matching: RequestQuery())))
        #expect(!String(decoding: RequestLogJSON.stats(single), as: UTF8.self).contains("by_instance"))
    }

    @Test func tableAndJSONNameTheInstance() throws {
        let record = makeRecord(4)
        let line = RequestLogJSON.line(record, instance: "replica1")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["instance"] as? String == "replica1")
        #expect(object["request_id"] as? String == record.requestID)
        #expect(try RequestLogJSON.decodeRecord(line) == record)
        let table = RequestLogText.table([record, makeRecord(5)], instances: ["replica1", "replica2"])
        let lines = table.split(separator: "\n")
        #expect(lines[0].hasPrefix("TIME (UTC)") && lines[0].contains("  INSTANCE  REQUEST"))
        #expect(lines[1].contains("replica1") && lines[2].contains("replica2"))
        #expect(!RequestLogText.table([record]).contains("INSTANCE"))
    }

    @Test func sameFileNamesAreToldApartByPath() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let a = dir.path("a"), b = dir.path("b")
        try FileManager.default.createDirectory(atPath: a, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: b, withIntermediateDirectories: true)
        for path in [a + "/lmserve.db", b + "/lmserve.db"] {
            let log = try SQLiteRequestLog(path: path, logger: testLogger)
            log.record(makeRecord(1))
            log.close()
        }
        let fleet = try RequestLogFleet(paths: [a + "/lmserve.db", b + "/lmserve.db"])
        #expect(fleet.members.map(\.instance) == [a + "/lmserve.db", b + "/lmserve.db"])
        #expect(throws: RequestLogError.self) { try RequestLogFleet(paths: [a + "/lmserve.db", dir.path("missing.db")]) }
    }
}

extension RequestStats.Group {
    fileprivate func renamed(_ key: String) -> Self {
        var copy = self
        copy.key = key
        return copy
    }
}
