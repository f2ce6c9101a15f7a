import Foundation
import Testing
import Yams
@testable import Server

/// The settings are declared once (`ServerConfiguration.settings`, `.modelSettings`); the README's
/// table and the bundled config file must list exactly those keys, with the flags the code has.
@Suite struct SettingsDocumentationTests {
    /// The README's configuration table, row by row: the keys in the first column and the
    /// flags (`--name`) in the second.
    static func readmeRows() throws -> [(keys: [String], flags: [String])] {
        let readme = try String(contentsOf: Shared.repo.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "\n## Configuration\n").dropFirst().first)
            .components(separatedBy: "\n## ")[0]
        return section.split(separator: "\n").filter { $0.hasPrefix("| `") }.map { line in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            func quoted(_ cell: String) -> [String] {
                cell.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            }
            return (quoted(cells[1]), quoted(cells[2]).filter { $0.hasPrefix("--") }.map { String($0.prefix { $0 != " " }) })
        }
    }

    @Test func readmeTableListsEveryKeyWithItsFlag() throws {
        let rows = try Self.readmeRows()
        let listed = rows.flatMap(\.keys)
        #expect(listed.sorted() == ServerConfiguration.allKeys.sorted())
        #expect(Set(listed).count == listed.count, "a key listed twice")
        let flags = Dictionary(
            uniqueKeysWithValues: ServerConfiguration.settings.map { s in
                (s.key, s.flag.map { s.type == .boolean ? ["--\($0)", "--no-\($0)"] : ["--\($0)"] } ?? [])
            })
        for row in rows {
            // `--model NAME=PATH[,tokenizer=T]` gives a model's name, path and tokenizer, and
            // `--model NAME=ensemble:A*0.4+B*0.6` an ensemble's type and members.
            let expected = row.keys.allSatisfy { $0.hasPrefix("models[].") }
                ? (row.keys.contains("models[].path") || row.keys.contains("models[].type") ? ["--model"] : [])
                : row.keys.flatMap { flags[$0] ?? [] }
            #expect(row.flags == expected, "README row \(row.keys)")
        }
    }

    @Test func bundledConfigListsEveryKey() throws {
        let file = Shared.repo.appendingPathComponent("deploy/lmserve.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        // A key commented out (`# tls:`, `#   cert: …`) is listed, off by default.
        let uncommented = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.replacing(#/^(\s*)# ?(\s*[a-z_]+:)/#) { "\($0.output.1)\($0.output.2)" }
        }.joined(separator: "\n")
        func keys(_ value: Any, _ prefix: String) -> [String] {
            if let map = value as? [String: Any] {
                return map.flatMap { keys($0.value, prefix.isEmpty ? $0.key : prefix + "." + $0.key) }
            }
            if let list = value as? [Any] { return Array(Set(list.flatMap { keys($0, prefix + "[]") })) }
            return [prefix]
        }
        let listed = keys(try #require(try Yams.load(yaml: uncommented)), "")
        #expect(listed.sorted() == ServerConfiguration.allKeys.sorted())
        // The file as it is (without the commented-out keys) is a valid configuration.
        #expect(try ServerConfiguration.load(file: file.path).validate().isEmpty)
    }

    @Test func flagsAndFileSetTheSameFields() throws {
        let dir = TempDir()
        let file = dir.path("c.yaml")
        try "telemetry: {db: x.db, log_retention: 12h}\nbatching: {workers: 3}\n".write(toFile: file, atomically: true, encoding: .utf8)
        let c = try ServerConfiguration.load(file: file)
        #expect(c.database == dir.path("x.db") && c.logRetentionSeconds == 12 * 3600 && c.batching.workerCount == 3)
        var f = ServerConfiguration()
        for (flag, value) in [("db", "x.db"), ("log-retention", "12h"), ("workers", "3")] {
            let setting = try #require(ServerConfiguration.settings.first { $0.flag == flag })
            try setting.apply(.flag(value), to: &f)
        }
        #expect(f.database == "x.db" && f.logRetentionSeconds == 12 * 3600 && f.batching.workerCount == 3)
        let port = try #require(ServerConfiguration.settings.first { $0.flag == "port" })
        #expect(throws: SettingProblem.self) { try port.apply(.flag("high"), to: &f) }
    }
}
