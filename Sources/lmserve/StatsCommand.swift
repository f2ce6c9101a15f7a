import ArgumentParser
import Foundation
import Telemetry

/// `lmserve stats`: per-route and per-model summaries of the request log.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print per-route and per-model counts, error rate, p50/p90/p99 latency and tokens/s.",
        discussion: """
            Several --db files (one per replica) are summarized together, with a table per \
            instance ("by_instance" with --json) naming each file.
            """)

    @Option(help: "A request-log database file; repeat for several replicas' logs.") var db: [String] = []
    @Option(help: "Only requests within this long ago (45s, 30m, 1h, 7d).") var since: String?
    @Flag(help: "Print one JSON object instead of tables.") var json = false

    func validate() throws {
        guard !db.isEmpty else { throw ValidationError("give at least one --db FILE") }
        _ = try sinceTime()
    }

    func run() throws {
        // A log that cannot be read is a runtime failure: one line, no usage.
        let stats: RequestStats
        do { stats = try RequestLogFleet(paths: db).stats(matching: RequestQuery(since: try sinceTime())) } catch {
            CommandOutput.fail("\(error)")
        }
        if json {
            print(String(decoding: RequestLogJSON.stats(stats), as: UTF8.self))
        } else {
            print(RequestLogText.table(stats), terminator: "")
        }
    }

    private func sinceTime() throws -> Double? {
        do {
            return try since.map { Date().timeIntervalSince1970 - (try DurationParser.seconds($0)) }
        } catch let error as DurationParser.ParseError {
            throw ValidationError(error.description)
        }
    }
}
