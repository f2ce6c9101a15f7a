import Foundation
import Logging

/// A file format models are loaded from: it recognises its files and loads them.
///
/// A new format is one file with a type conforming to this protocol (in the module of the model
/// it builds), plus one line registering it in `ModelFormatRegistry.standard`
/// (`Server/ModelFormats.swift`). Formats are small stateless values.
///
/// ```swift
/// struct LMBFormat: ModelFormat {
///     var name: String { "lmb" }
///     func recognizes(path: String, header: [UInt8]) -> Bool { header.starts(with: LMBLayout.magic) }
///     func load(path: String, logger: Logger) throws -> any LanguageModel { try NGramModel.loadBinary(path: path) }
/// }
/// ```
package protocol ModelFormat: Sendable {
    /// The format's name, reported as `format` in `/v1/models` (e.g. `arpa`, `lmb`).
    var name: String { get }

    /// Whether this format reads the file at `path`, judged by its name (extension) and `header`,
    /// its first bytes: `ModelFormatRegistry.headerLength` of them, or the whole file if shorter.
    func recognizes(path: String, header: [UInt8]) -> Bool

    /// Loads the model in the file. Errors should name the file; the registry wraps any error
    /// that is not a `ModelLoadError` in one.
    func load(path: String, logger: Logger) throws -> any LanguageModel
}

/// A model that could not be loaded: the file and what was wrong with it.
package struct ModelLoadError: Error, CustomStringConvertible {
    package var path: String
    package var message: String
    package var description: String { "cannot load model \(path): \(message)" }

    package init(path: String, message: String) {
        self.path = path
        self.message = message
    }
}

/// The formats a model file may be in, in order of precedence: the first format that
/// recognises a file loads it.
package struct ModelFormatRegistry: Sendable {
    /// How many leading bytes of a file `ModelFormat.recognizes` is shown.
    package static let headerLength = 4096

    package let formats: [any ModelFormat]

    package init(_ formats: [any ModelFormat]) {
        self.formats = formats
    }

    /// The format that reads `path`.
    ///
    /// - Throws: `ModelLoadError` when the file cannot be opened or no format recognises it.
    package func format(of path: String) throws -> any ModelFormat {
        let header = try Self.header(of: path)
        guard let format = formats.first(where: { $0.recognizes(path: path, header: header) }) else {
            let names = formats.map(\.name).joined(separator: ", ")
            throw ModelLoadError(path: path, message: "not a model file in a known format (\(names))")
        }
        return format
    }

    /// Loads the model in `path` with the format that recognises it.
    ///
    /// - Throws: `ModelLoadError` naming the file, wrapping the format's own error.
    package func load(path: String, logger: Logger) throws -> any LanguageModel {
        let format = try format(of: path)
        do {
            return try format.load(path: path, logger: logger)
        } catch let error as ModelLoadError {
            throw error
        } catch {
            throw ModelLoadError(path: path, message: String(describing: error))
        }
    }

    /// The first `headerLength` bytes of the file (fewer if it is shorter).
    private static func header(of path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ModelLoadError(path: path, message: "cannot open the file (missing or unreadable)")
        }
        defer { try? handle.close() }
        return Array((try? handle.read(upToCount: headerLength)) ?? Data())
    }
}
