import ArgumentParser
import Foundation
import LMServeTools

/// `lmserve models list|load|unload|reload`: the admin model API of a running server.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List, load, unload and reload the models of a running server.",
        discussion: """
            Calls GET /v1/models and the /admin/models routes. load, unload and reload return \
            once the server has accepted the change; with --wait they return when it is done \
            (ready, failed, or gone) and exit 1 if it failed.
            """,
        subcommands: [List.self, Load.self, Unload.self, Reload.self])

    /// Options every subcommand takes.
    struct Server: ParsableArguments {
        @Option(help: "Server URL, http://HOST:PORT.") var url = "http://127.0.0.1:8080"
        @Flag(help: "Print the server's JSON instead of a summary.") var json = false
    }

    /// Options of the changes.
    struct Waiting: ParsableArguments {
        @Flag(help: "Wait until the change is done (the model ready or failed, or gone).") var wait = false
        @Option(help: "With --wait: give up after this many seconds.") var timeout = 600.0
    }

    /// A model's settings that load and reload take.
    struct Settings: ParsableArguments {
        @Option(help: "whitespace, basic or sentencepiece:FILE.model.") var tokenizer: String?
        @Option(help: "This model's max_batch_size.") var maxBatchSize: Int?
        @Option(help: "This model's max_queue_delay_us.") var maxQueueDelayUs: Int?
        @Option(help: "This model's max_queue_size.") var maxQueueSize: Int?

        /// The given settings as request-body fields.
        func fields() -> [String: Any] {
            var body: [String: Any] = [:]
            if let tokenizer { body["tokenizer"] = tokenizer }
            var b: [String: Int] = [:]
            if let v = maxBatchSize { b["max_batch_size"] = v }
            if let v = maxQueueDelayUs { b["max_queue_delay_us"] = v }
            if let v = maxQueueSize { b["max_queue_size"] = v }
            if !b.isEmpty { body["batching"] = b }
            return body
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every model with its state, version, type and file.")
        @OptionGroup var server: Server

        func run() throws {
            let api = try AdminAPI(server.url)
            let list = try api.call("GET", "/v1/models")
            if server.json { return print(list.text) }
            let models = (try api.object(list)["data"] as? [[String: Any]]) ?? []
            print(ModelRow.table(models.map(ModelRow.init)), terminator: "")
        }
    }

    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load a model file under NAME (in the background; --wait to wait for it).")
        @Argument(help: "The model's name.") var name: String
        @Argument(help: "The model file, as the server sees it (relative paths: against its config file's directory).") var path: String
        @OptionGroup var settings: Settings
        @OptionGroup var server: Server
        @OptionGroup var waiting: Waiting

        func run() throws {
            let api = try AdminAPI(server.url)
            var body = settings.fields()
            body["name"] = name
            body["path"] = path
            let accepted = try api.call("POST", "/admin/models", json: body)
            try finish(api, accepted, name: name, waiting: waiting, server: server) { model in
                switch model?["state"] as? String {
                case "ready": return .done
                case "failed": return .failed(model?["error"] as? String ?? "the load failed")
                case nil: return .failed("the model was unloaded while it loaded")
                default: return .waiting
                }
            }
        }
    }

    struct Unload: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Unload NAME: no new requests; it goes once those in flight have finished.")
        @Argument(help: "The model's name.") var name: String
        @OptionGroup var server: Server
        @OptionGroup var waiting: Waiting

        func run() throws {
            let api = try AdminAPI(server.url)
            let accepted = try api.call("DELETE", "/admin/models/\(segment(name))")
            try finish(api, accepted, name: name, waiting: waiting, server: server) { model in model == nil ? .done : .waiting }
        }
    }

    struct Reload: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load a new version of NAME next to the serving one and swap when it is ready.")
        @Argument(help: "The model's name.") var name: String
        @Option(help: "A new model file (default: the same file, read again).") var path: String?
        @OptionGroup var settings: Settings
        @OptionGroup var server: Server
        @OptionGroup var waiting: Waiting

        func run() throws {
            let api = try AdminAPI(server.url)
            var body = settings.fields()
            if let path { body["path"] = path }
            let accepted = try api.call("POST", "/admin/models/\(segment(name))/reload", json: body)
            try finish(api, accepted, name: name, waiting: waiting, server: server) { model in
                guard let model else { return .failed("the model was unloaded while it reloaded") }
                let reload = model["reload"] as? [String: Any]
                switch reload?["state"] as? String {
                case "loading": return .waiting
                case "failed": return .failed(reload?["error"] as? String ?? "the reload failed")
                default: return model["state"] as? String == "ready" ? .done : .waiting
                }
            }
        }
    }
}

private enum Progress {
    case waiting, done
    case failed(String)
}

/// Prints the accepted change, or with --wait polls `GET /v1/models/NAME` until `progress` says
/// it is done (exit 0) or failed (exit 1 with the server's reason).
private func finish(
    _ api: AdminAPI, _ accepted: HTTPClient.Response, name: String, waiting: ModelsCommand.Waiting, server: ModelsCommand.Server,
    progress: ([String: Any]?) -> Progress
) throws {
    guard waiting.wait else {
        if server.json { return print(accepted.text) }
        let model = try api.object(accepted)
        return print("\(name): \(model["state"] as? String ?? "accepted")")
    }
    let deadline = Date().addingTimeInterval(waiting.timeout)
    while true {
        let response = try api.call("GET", "/v1/models/\(segment(name))", allowing: [404])
        let model = response.status == 404 ? nil : try api.object(response)
        switch progress(model) {
        case .done:
            if server.json { return print(response.status == 404 ? #"{"id":"\#(name)","state":"unloaded"}"# : response.text) }
            return print("\(name): \(model.map { "\($0["state"] as? String ?? "?") \($0["version"] as? String ?? "")" } ?? "unloaded")")
        case .failed(let reason):
            CommandOutput.fail("\(name): \(reason)")
        case .waiting:
            // Another process: its model state is only seen by asking (the timeout caps it).
            if Date() > deadline { CommandOutput.fail("\(name): not done after \(waiting.timeout) s") }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }
}

/// The server's HTTP API as the `models` commands call it: any failure is one line on standard
/// error and exit status 1.
/// `name` as one path segment.
private func segment(_ name: String) -> String {
    name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? name
}

private struct AdminAPI {
    let url: String
    let host: String
    let port: Int

    init(_ url: String) throws {
        guard let u = URL(string: url), u.scheme == "http", let host = u.host else {
            throw ValidationError("--url must look like http://127.0.0.1:8080")
        }
        self.url = url
        self.host = host
        port = u.port ?? 80
    }

    /// Sends one request; a status outside 2xx (and `allowing`) ends the process with the
    /// server's error message.
    func call(_ method: String, _ path: String, json: [String: Any]? = nil, allowing: Set<Int> = []) throws -> HTTPClient.Response {
        let response: HTTPClient.Response
        do {
            let client = try HTTPClient(host: host, port: port, receiveTimeoutSeconds: 600)
            let body = try json.map { try JSONSerialization.data(withJSONObject: $0) }.map { Array($0) } ?? []
            response = try client.request(
                method, path, headers: json == nil ? [] : [("Content-Type", "application/json")], body: body)
        } catch {
            CommandOutput.fail("cannot reach \(url): \(error)")
        }
        guard (200..<300).contains(response.status) || allowing.contains(response.status) else {
            let message = ((try? object(response))?["error"] as? [String: Any])?["message"] as? String ?? response.text
            CommandOutput.fail("\(method) \(path): \(response.status): \(message)")
        }
        return response
    }

    func object(_ response: HTTPClient.Response) throws -> [String: Any] {
        guard let o = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            CommandOutput.fail("\(url) answered something that is not a JSON object: \(response.text.prefix(200))")
        }
        return o
    }
}

/// One line of `lmserve models list`.
private struct ModelRow {
    var cells: [String]

    init(_ m: [String: Any]) {
        let reload = (m["reload"] as? [String: Any]).map { "reload \($0["state"] as? String ?? "?")" }
        cells = [
            m["id"] as? String ?? "?", m["state"] as? String ?? "?", m["version"] as? String ?? "-",
            m["type"] as? String ?? "-", m["in_flight"].map { "\($0)" } ?? "-",
            [m["file"] as? String, reload, m["error"] as? String].compactMap { $0 }.joined(separator: "  "),
        ]
    }

    static func table(_ rows: [ModelRow]) -> String {
        let header = ["NAME", "STATE", "VERSION", "TYPE", "IN_FLIGHT", "FILE"]
        let all = [header] + rows.map(\.cells)
        let widths = header.indices.map { i in all.map { $0[i].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
