import ArgumentParser
import Foundation
import Telemetry

/// `lmserve logs`: print the request log as a table or JSON lines.
struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print logged requests from the SQLite store, newest first.")

    @Option(help: "The request-log database file.") var db: String
    @Option(help: "Only requests within this long ago (45s, 30m, 1h, 7d).") var since: String?
    @Option(help: "Only this model.") var model: String?
    @Option(help: "Only this route, e.g. /v1/perplexity.") var route: String?
    @Option(help: "Only this status code (404) or class (5xx).") var status: String?
    @Option(help: "At most this many rows.") var limit: Int = 50
    @Flag(help: "Print JSON lines instead of a table.") var json = false

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be positive") }
        _ = try parsedQuery()
    }

    func run() throws {
        let records = try RequestLogReader(path: db).requests(matching: try parsedQuery())
        if json {
            for record in records { print(RequestLogJSON.line(record)) }
        } else {
            print(RequestLogText.table(records), terminator: "")
        }
    }

    private func parsedQuery() throws -> RequestQuery {
        do {
            return RequestQuery(
                since: try since.map { Date().timeIntervalSince1970 - (try DurationParser.seconds($0)) },
                model: model, route: route, status: try status.map(RequestQuery.StatusFilter.init(parsing:)),
                limit: limit)
        } catch let error as CustomStringConvertible & Error {
            throw ValidationError(error.description)
        }
    }
}
