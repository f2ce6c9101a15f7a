import ArgumentParser
import Foundation
import Telemetry

/// `lmserve logs`: print the request log as a table or JSON lines.
struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print logged requests from the SQLite store, newest first.",
        discussion: """
            Several --db files (one per replica) are read as one: rows merged by time, with an \
            INSTANCE column (an "instance" key with --json) naming each row's file.
            """)

    @Option(help: "A request-log database file; repeat for several replicas' logs.") var db: [String] = []
    @Option(help: "Only requests within this long ago (45s, 30m, 1h, 7d).") var since: String?
    @Option(help: "Only this model.") var model: String?
    @Option(help: "Only this route, e.g. /v1/perplexity.") var route: String?
    @Option(help: "Only this status code (404) or class (5xx).") var status: String?
    @Option(help: "Only requests made with the API key of this name.") var key: String?
    @Option(help: "At most this many rows.") var limit: Int = 50
    @Flag(help: "Print JSON lines instead of a table.") var json = false

    func validate() throws {
        guard !db.isEmpty else { throw ValidationError("give at least one --db FILE") }
        guard limit > 0 else { throw ValidationError("--limit must be positive") }
        _ = try parsedQuery()
    }

    func run() throws {
        // A log that cannot be read is a runtime failure: one line, no usage.
        let fleet: RequestLogFleet
        let rows: [(instance: String, record: RequestRecord)]
        do {
            fleet = try RequestLogFleet(paths: db)
            rows = try fleet.requests(matching: try parsedQuery())
        } catch { CommandOutput.fail("\(error)") }
        let tagged = fleet.members.count > 1
        if json {
            for row in rows { print(tagged ? RequestLogJSON.line(row.record, instance: row.instance) : RequestLogJSON.line(row.record)) }
        } else {
            print(RequestLogText.table(rows.map(\.record), instances: tagged ? rows.map(\.instance) : nil), terminator: "")
        }
    }

    private func parsedQuery() throws -> RequestQuery {
        do {
            return RequestQuery(
                since: try since.map { Date().timeIntervalSince1970 - (try DurationParser.seconds($0)) },
                model: model, route: route, status: try status.map(RequestQuery.StatusFilter.init(parsing:)),
                limit: limit, keyName: key)
        } catch let error as CustomStringConvertible & Error {
            throw ValidationError(error.description)
        }
    }
}
