import ArgumentParser
import Foundation
import Server

/// `lmserve keys add|list|revoke`: the API keys file `serve --keys-file` reads.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list and revoke API keys (the file `serve --keys-file` reads).",
        discussion: """
            The file holds each key's name, scopes, limits and creation time, and only a salted \
            HMAC-SHA-256 of the key itself: `keys add` prints the key once. The file is replaced \
            atomically with mode 0600, and a running server picks up every change on its next request.
            """,
        subcommands: [Add.self, List.self, Revoke.self])

    struct FileOption: ParsableArguments {
        @Option(name: .customLong("keys-file"), help: "The keys file.")
        var path: String
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key and print it (once; only its hash is stored).")

        @Argument(help: "The key's name (1–64 of letters, digits, '.', '_', '-'): what logs and metrics show.")
        var name: String

        @Option(help: "Comma-separated scopes: infer (perplexity, completions, models), admin (/admin/), metrics.")
        var scopes: String

        @Option(help: "Requests per second this key may send (a token bucket; default: the server's rate_limits).")
        var requestsPerSecond: Double?

        @Option(help: "Requests the key may send at once above the rate (default: the server's rate_limits.burst, else the rate rounded up).")
        var burst: Int?

        @Option(help: "Scored plus generated tokens per minute (default: the server's rate_limits).")
        var tokensPerMinute: Int?

        @OptionGroup var file: FileOption

        func run() throws {
            var scopeList: [Scope] = []
            for word in scopes.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !word.isEmpty {
                guard let scope = Scope(rawValue: word) else {
                    throw ValidationError("unknown scope '\(word)': use infer, admin or metrics")
                }
                scopeList.append(scope)
            }
            let key = try KeysCommand.change(file.path) { keys in
                try keys.add(
                    name: name, scopes: scopeList,
                    limits: KeyLimits(requestsPerSecond: requestsPerSecond, burst: burst, tokensPerMinute: tokensPerMinute))
            }
            // Printed only once the file holds its hash.
            print(key)
            FileHandle.standardError.write(
                Data("lmserve: key '\(name)' added to \(file.path); it is shown only now: store it safely\n".utf8))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the keys: name, scopes, limits, creation time.")

        @OptionGroup var file: FileOption

        func run() throws {
            let keys = try KeysCommand.failing { try KeysFile.load(path: file.path) }
            print(["NAME", "SCOPES", "REQ/S", "BURST", "TOKENS/MIN", "CREATED"].joined(separator: "\t"))
            let dates = ISO8601DateFormatter()
            for key in keys.keys {
                let l = key.limits
                print(
                    [
                        key.name, key.scopes.map(\.rawValue).joined(separator: ","), l.requestsPerSecond.map { "\($0)" } ?? "-",
                        l.burst.map(String.init) ?? "-", l.tokensPerMinute.map(String.init) ?? "-",
                        dates.string(from: Date(timeIntervalSince1970: key.created)),
                    ].joined(separator: "\t"))
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a key; a running server refuses it from its next request.")

        @Argument(help: "The key's name.")
        var name: String

        @OptionGroup var file: FileOption

        func run() throws {
            try KeysCommand.change(file.path) { try $0.revoke(name: name) }
            FileHandle.standardError.write(Data("lmserve: key '\(name)' revoked\n".utf8))
        }
    }

    /// Reads the file (none yet reads as empty), applies `change`, writes it back atomically
    /// (`KeysFile.update`: one `lmserve keys` at a time per directory).
    @discardableResult
    static func change<T>(_ path: String, _ change: (inout KeysFile) throws -> T) throws -> T {
        try failing { try KeysFile.update(path: path, change) }
    }

    /// `body`, with a `KeysFileError` turned into its message and exit status 1.
    static func failing<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as KeysFileError {
            FileHandle.standardError.write(Data("lmserve: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
