import Foundation
import Logging
import Synchronization
@testable import NGram

/// The two on-disk formats every scoring test runs against.
enum ModelFormat: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case arpa
    case lmb
    var testDescription: String { rawValue }
}

import Testing

/// Loads each reference model once per test run, and converts it to `.lmb` in a temporary
/// directory for the binary-format runs.
enum ModelCache {
    static let logger = Logger(label: "NGramTests")
    private static let cache = Mutex<[String: NGramModel]>([:])
    static let tempDirectory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lmserve-ngram-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// The model at `relative` (under ../shared) in `format`.
    static func model(_ relative: String, _ format: ModelFormat) throws -> NGramModel {
        let key = relative + "|" + format.rawValue
        if let m = cache.withLock({ $0[key] }) { return m }
        let arpa = try NGramModel.load(path: SharedData.path(relative), logger: logger)
        var m = arpa
        if format == .lmb {
            let name = (relative as NSString).lastPathComponent + ".lmb"
            let path = tempDirectory.appendingPathComponent(name).path
            try arpa.writeBinary(to: path)
            m = try NGramModel.load(path: path, logger: logger)
            // The mapping outlives the name: remove the file so test runs leave nothing behind.
            try? FileManager.default.removeItem(atPath: path)
            #expect(m.description.format == "lmb")
        }
        cache.withLock { $0[key] = m }
        return m
    }
}
