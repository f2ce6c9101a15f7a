import Foundation
import Telemetry
import Yams

/// A config file that could not be used, with the key or line at fault.
package struct ConfigurationError: Error, CustomStringConvertible {
    package var file: String
    package var message: String
    package var description: String { "\(file): \(message)" }
}

extension ServerConfiguration {
    /// Reads a YAML config file. Unknown keys and wrongly typed values are errors naming the key.
    ///
    /// - Throws: `ConfigurationError`.
    package static func load(file: String) throws -> ServerConfiguration {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw ConfigurationError(file: file, message: "cannot read: \(error.localizedDescription)")
        }
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch {
            throw ConfigurationError(file: file, message: "not valid YAML: \(error)")
        }
        var config = ServerConfiguration()
        config.baseDirectory = URL(fileURLWithPath: file).deletingLastPathComponent().path
        guard let root else { return config }
        var reader = try KeyReader(file: file, path: "", value: root)
        try reader.apply(to: &config)
        return config
    }
}

/// Walks one YAML mapping against a list of settings, taking known keys and rejecting the rest.
private struct KeyReader {
    let file: String
    let path: String
    let map: [String: Any]

    init(file: String, path: String, value: Any) throws {
        self.file = file
        self.path = path
        guard let map = value as? [String: Any] else {
            throw ConfigurationError(file: file, message: "\(path.isEmpty ? "the top level" : "'\(path)'") must be a mapping")
        }
        self.map = map
    }

    func name(_ key: some StringProtocol) -> String { path.isEmpty ? String(key) : path + "." + key }

    func fail(_ key: some StringProtocol, _ message: String) -> ConfigurationError {
        ConfigurationError(file: file, message: "'\(name(key))' \(message)")
    }

    func checkKeys(_ known: Set<String>) throws {
        for key in map.keys.sorted() where !known.contains(key) {
            throw ConfigurationError(
                file: file, message: "unknown key '\(name(key))' (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    /// Applies the settings found in this mapping (keys relative to it, nested mappings walked
    /// as their dotted prefixes say); `extraKeys` are known keys the caller reads itself.
    func apply<Root>(
        _ settings: [(components: ArraySlice<Substring>, setting: Setting<Root>)], to root: inout Root,
        resolve: @escaping (String) -> String, extraKeys: Set<String> = []
    ) throws {
        try checkKeys(extraKeys.union(settings.map { String($0.components.first!) }))
        var nested: [Substring: [(components: ArraySlice<Substring>, setting: Setting<Root>)]] = [:]
        var order: [Substring] = []
        for (components, setting) in settings {
            let head = components.first!
            if components.count > 1 {
                if nested[head] == nil { order.append(head) }
                nested[head, default: []].append((components.dropFirst(), setting))
                continue
            }
            guard let value = map[String(head)], !(value is NSNull && setting.required) else {
                if setting.required { throw fail(head, "is required") }
                continue
            }
            do { try setting.apply(.file(value, resolve: resolve), to: &root) } catch let error as SettingProblem { throw fail(head, error.message) }
        }
        for head in order {
            guard let value = map[String(head)] else { continue }
            let child = try KeyReader(file: file, path: name(head), value: value)
            try child.apply(nested[head]!, to: &root, resolve: resolve)
        }
    }

    mutating func apply(to c: inout ServerConfiguration) throws {
        let base = c
        try apply(ServerConfiguration.settings.map { ($0.components[...], $0) }, to: &c, resolve: base.resolve, extraKeys: ["models"])
        guard let models = map["models"] else { return }
        guard let list = models as? [Any] else { throw fail("models", "must be a list") }
        for (i, item) in list.enumerated() {
            let m = try KeyReader(file: file, path: "models[\(i)]", value: item)
            var model = ServerConfiguration.Model(name: "", path: "")
            try m.apply(ServerConfiguration.modelSettings.map { ($0.components[...], $0) }, to: &model, resolve: base.resolve)
            if !model.isEnsemble && m.map["path"] == nil { throw m.fail("path", "is required (unless type is ensemble)") }
            c.models.append(model)
        }
    }
}
