import Foundation
import LMCore
import Telemetry

/// One setting of `lmserve serve`, declared once: its config-file key, its flag, its type, its
/// help, and the field of `Root` it sets. The YAML reader, the `serve` flags and their help are
/// derived from the lists of settings (`ServerConfiguration.settings`, `.modelSettings`); the
/// default is the field's initial value in `Root`.
package struct Setting<Root>: Sendable {
    /// The key's path under its root, e.g. `limits.max_body_bytes`.
    package let key: String
    /// The long flag without dashes (e.g. `max-body-bytes`); nil for a file-only key.
    package let flag: String?
    package let type: SettingType
    package let help: String
    /// Whether a file that has the enclosing mapping must give this key.
    package let required: Bool
    /// Sets the field; a YAML `null` for a string-like key leaves it as it was.
    private let read: @Sendable (inout Root, SettingInput) throws -> Void
    private let show: @Sendable (Root) -> String?

    private init<V>(
        _ key: String, flag: String?, _ type: SettingType, _ field: WritableKeyPath<Root, V> & Sendable, help: String,
        required: Bool = false, show: @escaping @Sendable (V) -> String?,
        parse: @escaping @Sendable (SettingInput) throws -> V?
    ) {
        self.key = key
        self.flag = flag
        self.type = type
        self.help = help
        self.required = required
        self.read = { (root: inout Root, input: SettingInput) throws in
            if let v = try parse(input) { root[keyPath: field] = v }
        }
        self.show = { show($0[keyPath: field]) }
    }

    /// Sets the field from a file's value or a flag's argument.
    ///
    /// - Throws: `SettingProblem`, what is wrong with the value ("must be a whole number").
    package func apply(_ input: SettingInput, to root: inout Root) throws {
        try read(&root, input)
    }

    /// The value in `root` as help shows it, nil when unset.
    package func value(in root: Root) -> String? { show(root) }

    /// The key's components (`limits`, `max_body_bytes`).
    package var components: [Substring] { key.split(separator: ".") }
}

/// How a setting's value is written: the same in the file and on the command line.
package enum SettingType: String, Sendable {
    case string, integer, number, boolean, duration, path, tokenizer
    /// An ensemble's members: a list of `{model: NAME, weight: W}` in a file, `A*0.4+B*0.6` as
    /// text. Listed as the keys `KEY[].model` and `KEY[].weight`.
    case members
}

/// What is wrong with a setting's value, without the key (the caller names it).
package struct SettingProblem: Error, Sendable {
    package var message: String
}

/// One setting's value: a YAML scalar from a config file, or a flag's argument as typed.
package struct SettingInput {
    package enum Source {
        /// A parsed YAML value (`Int`, `Double`, `Bool`, `String`, `NSNull`, …); relative paths
        /// resolve with `resolve`.
        case file(Any, resolve: (String) -> String)
        /// A flag's argument (booleans: "true" or "false").
        case flag(String)
    }

    package var source: Source

    package static func file(_ value: Any, resolve: @escaping (String) -> String) -> SettingInput {
        SettingInput(source: .file(value, resolve: resolve))
    }

    package static func flag(_ text: String) -> SettingInput { SettingInput(source: .flag(text)) }

    /// The value as a string; YAML numbers count as their text, `null` as nil.
    func string() throws -> String? {
        switch source {
        case .flag(let text): return text
        case .file(let v, _):
            if v is NSNull { return nil }
            if let s = v as? String { return s }
            if let i = v as? Int { return String(i) }
            throw SettingProblem(message: "must be a string")
        }
    }

    func integer() throws -> Int {
        switch source {
        case .flag(let text): if let i = Int(text) { return i }
        case .file(let v, _): if let i = v as? Int { return i }
        }
        throw SettingProblem(message: "must be a whole number")
    }

    func number() throws -> Double {
        switch source {
        case .flag(let text): if let d = Double(text) { return d }
        case .file(let v, _):
            if let d = v as? Double { return d }
            if let i = v as? Int { return Double(i) }
        }
        throw SettingProblem(message: "must be a number")
    }

    func boolean() throws -> Bool {
        switch source {
        case .flag(let text): if let b = Bool(text) { return b }
        case .file(let v, _): if let b = v as? Bool { return b }
        }
        throw SettingProblem(message: "must be true or false")
    }

    /// A path: a config file's relative paths resolve against its directory; '' stays ''.
    func path() throws -> String? {
        guard let text = try string() else { return nil }
        if case .file(_, let resolve) = source, !text.isEmpty { return resolve(text) }
        return text
    }
}

extension Setting {
    package static func string(
        _ key: String, flag: String? = nil, _ field: WritableKeyPath<Root, String> & Sendable, help: String,
        required: Bool = false
    ) -> Setting {
        Setting(key, flag: flag, .string, field, help: help, required: required, show: { $0 }) { input throws in
            try input.string()
        }
    }

    /// One of `values`. YAML reads an unquoted `off` or `on` as a boolean; a boolean here is
    /// taken as that word.
    package static func choice(
        _ key: String, flag: String? = nil, _ field: WritableKeyPath<Root, String> & Sendable, values: [String], help: String
    ) -> Setting {
        Setting(key, flag: flag, .string, field, help: help, show: { $0 }) { input throws in
            var text: String?
            if case .file(let v as Bool, _) = input.source { text = v ? "on" : "off" } else { text = try input.string() }
            guard let text, values.contains(text) else {
                throw SettingProblem(message: "must be \(values.joined(separator: " or "))")
            }
            return text
        }
    }

    package static func integer(_ key: String, flag: String? = nil, _ field: WritableKeyPath<Root, Int> & Sendable, help: String) -> Setting {
        Setting(key, flag: flag, .integer, field, help: help, show: { String($0) }) { input throws in try input.integer() }
    }

    /// An override: unset (nil) until given.
    package static func integer(_ key: String, flag: String? = nil, _ field: WritableKeyPath<Root, Int?> & Sendable, help: String) -> Setting {
        Setting(key, flag: flag, .integer, field, help: help, show: { $0.map(String.init) }) { input throws in
            try input.integer()
        }
    }

    package static func number(_ key: String, flag: String? = nil, _ field: WritableKeyPath<Root, Double> & Sendable, help: String) -> Setting {
        Setting(key, flag: flag, .number, field, help: help, show: { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int($0)) : String($0) }) {
            input throws in try input.number()
        }
    }

    package static func boolean(_ key: String, flag: String? = nil, _ field: WritableKeyPath<Root, Bool> & Sendable, help: String) -> Setting {
        Setting(key, flag: flag, .boolean, field, help: help, show: { String($0) }) { input throws in try input.boolean() }
    }

    /// A duration such as `7d`, `12h`, `30m`, `45s`, stored in seconds.
    package static func duration(
        _ key: String, flag: String? = nil, _ field: WritableKeyPath<Root, Double?> & Sendable, help: String
    ) -> Setting {
        Setting(key, flag: flag, .duration, field, help: help, show: { $0.map { "\(Int($0))s" } }) { input throws in
            guard let text = try input.string() else { return Double??.none }
            do { return try DurationParser.seconds(text) } catch {
                throw SettingProblem(message: "must be a duration like 7d, 12h, 30m or 45s (\(error))")
            }
        }
    }

    /// A file path; in a config file, relative to the file's directory.
    package static func path(
        _ key: String, flag: String? = nil, _ field: WritableKeyPath<Root, String?> & Sendable, help: String
    ) -> Setting {
        Setting(key, flag: flag, .path, field, help: help, show: { $0 }) { input throws in
            try input.path().map { Optional($0) }
        }
    }

    /// A file path that is never nil (`required`: a file must give it); in a config file,
    /// relative to the file's directory.
    package static func path(
        _ key: String, flag: String? = nil, _ field: WritableKeyPath<Root, String> & Sendable, help: String, required: Bool
    ) -> Setting {
        Setting(key, flag: flag, .path, field, help: help, required: required, show: { $0 }) { input throws in
            try input.path()
        }
    }

    package static func tokenizer(
        _ key: String, flag: String? = nil, _ field: WritableKeyPath<Root, Tokenizer?> & Sendable, help: String
    ) -> Setting {
        Setting(key, flag: flag, .tokenizer, field, help: help, show: { $0?.description }) { input throws in
            guard let text = try input.string() else { return Tokenizer??.none }
            // A SentencePiece model named in a config file is relative to the file's directory.
            var base: String?
            if case .file(_, let resolve) = input.source { base = resolve(".") }
            do { return try TokenizerSpec.load(text, relativeTo: base) } catch let e as TokenizerSpecError {
                throw SettingProblem(message: "must be \(TokenizerSpec.help) (got '\(e.spec)')")
            } catch {
                throw SettingProblem(message: "\(error)")
            }
        }
    }

    /// An ensemble's members: in a file a list of mappings with exactly `model` (a name) and
    /// `weight` (a number); as text `A*0.4+B*0.6`.
    package static func members(
        _ key: String, flag: String? = nil, _ field: WritableKeyPath<Root, [ServerConfiguration.Member]> & Sendable, help: String
    ) -> Setting {
        Setting(key, flag: flag, .members, field, help: help, show: { $0.map { "\($0.name)*\($0.weight)" }.joined(separator: "+") }) {
            input throws in
            switch input.source {
            case .flag(let text): return try ServerConfiguration.Member.parseList(text)
            case .file(let value, _):
                if value is NSNull { return nil }
                guard let list = value as? [Any] else { throw SettingProblem(message: "must be a list of {model, weight}") }
                return try list.enumerated().map { i, item in
                    guard let map = item as? [String: Any] else { throw SettingProblem(message: "[\(i)] must be a mapping {model, weight}") }
                    if let extra = map.keys.sorted().first(where: { $0 != "model" && $0 != "weight" }) {
                        throw SettingProblem(message: "[\(i)] has unknown key '\(extra)' (known: model, weight)")
                    }
                    guard let model = map["model"] as? String, !model.isEmpty else {
                        throw SettingProblem(message: "[\(i)].model must be a model's name")
                    }
                    guard let weight = (map["weight"] as? Double) ?? (map["weight"] as? Int).map(Double.init) else {
                        throw SettingProblem(message: "[\(i)].weight must be a number")
                    }
                    return ServerConfiguration.Member(name: model, weight: weight)
                }
            }
        }
    }

    /// The keys a config file may hold for this setting (`members` is listed by its fields).
    package var listedKeys: [String] { type == .members ? ["\(key)[].model", "\(key)[].weight"] : [key] }
}
