import Server

/// The `serve` flags of the server-wide settings, derived from `ServerConfiguration.settings`:
/// `--FLAG VALUE` or `--FLAG=VALUE`, booleans as `--FLAG` / `--no-FLAG`.
enum SettingFlags {
    /// A flag that is not a setting, or a setting's flag given a bad value.
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// Applies the flags in `arguments`, in order, to `configuration`.
    ///
    /// - Throws: `Problem` naming the flag.
    static func apply<Root>(_ arguments: [String], to configuration: inout Root, settings: [Setting<Root>]) throws {
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            guard argument.hasPrefix("--") else { throw Problem(description: "Unexpected argument '\(argument)'") }
            var name = String(argument.dropFirst(2))
            var value: String?
            if let eq = name.firstIndex(of: "=") {
                value = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if let setting = settings.first(where: { $0.flag == name }) {
                if setting.type == SettingType.boolean {
                    guard value == nil else { throw Problem(description: "--\(name) takes no value") }
                    value = "true"
                } else if value == nil {
                    guard let next = rest.popFirst() else { throw Problem(description: "Missing value for '--\(name) <\(name)>'") }
                    value = next
                }
                do { try setting.apply(SettingInput.flag(value!), to: &configuration) } catch let error as SettingProblem {
                    throw Problem(description: "The value '\(value!)' is invalid for '--\(name)': it \(error.message)")
                }
            } else if name.hasPrefix("no-"), value == nil,
                let setting = settings.first(where: { $0.type == SettingType.boolean && $0.flag == String(name.dropFirst(3)) })
            {
                try? setting.apply(SettingInput.flag("false"), to: &configuration)
            } else {
                throw Problem(description: "Unknown option '--\(name)'")
            }
        }
    }

    static func apply(_ arguments: [String], to configuration: inout ServerConfiguration) throws {
        try apply(arguments, to: &configuration, settings: ServerConfiguration.settings)
    }

    /// The flags' help, one per setting: the flag, then its help, config key and default
    /// indented below it, wrapped to fit 80 columns (ArgumentParser re-wraps longer lines).
    static func help<Root>(_ settings: [Setting<Root>], defaults: Root) -> String {
        settings.compactMap { s -> String? in
            guard let flag = s.flag else { return nil }
            let usage = s.type == .boolean ? "--\(flag), --no-\(flag)" : "--\(flag) <\(s.type.rawValue)>"
            let value = s.value(in: defaults).map { "; default: " + ($0.isEmpty ? "''" : $0) } ?? ""
            return (["  " + usage] + wrap("\(s.help) (\(s.key)\(value))", width: 72).map { "      " + $0 }).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// `text` in lines of at most `width` characters, broken at spaces.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}
