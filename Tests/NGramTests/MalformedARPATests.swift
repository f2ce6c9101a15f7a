import Foundation
import LMCore
import Logging
import Testing
@testable import NGram

/// Each malformed fixture is rejected with its own error, naming the file and the line.
@Suite struct MalformedARPATests {
    typealias P = ARPAError.Problem

    static let cases: [(String, Int, P)] = [
        ("truncated.arpa", 15, .truncated),
        ("count_fewer.arpa", 11, .countMismatch(order: 1, declared: 6, found: 5)),
        ("count_more.arpa", 10, .countMismatch(order: 1, declared: 4, found: 5)),
        ("no_end.arpa", 17, .missingEnd),
        ("nan.arpa", 14, .nanProbability),
        ("positive.arpa", 14, .positiveProbability(0.25)),
        ("unknown_word.arpa", 14, .wordNotInUnigrams(word: "zebra", order: 2)),
        ("bad_order.arpa", 10, .badOrder(9)),
        ("missing_context.arpa", 19, .missingContext(order: 3, ngram: "b a b")),
        ("bad_number.arpa", 14, .badNumber("-0.3x")),
        ("missing_data.arpa", 1, .missingDataHeader),
        ("duplicate_word.arpa", 11, .duplicateWord("a")),
        ("nan_backoff.arpa", 9, .badBackoff("nan")),
        ("too_many_words.arpa", 14, .wrongWordCount(order: 2, found: 3)),
        ("no_sentence_end.arpa", 9, .missingSpecialWord("</s>")),
        ("huge_count.arpa", 3, .badCountLine("ngram 2=999999999999 (more n-grams than the file can hold)")),
    ]

    @Test(arguments: cases.map { "\($0.0) line \($0.1)" })
    func rejectedWithFileAndLine(label: String) throws {
        let (name, line, problem) = Self.cases.first { label.hasPrefix($0.0 + " ") }!
        let path = SharedData.fixture(name)
        #expect(throws: ARPAError.malformed(file: path, line: line, problem: problem)) {
            _ = try NGramModel.load(path: path, logger: ModelCache.logger)
        }
        // The message a user sees names the file and line.
        do { _ = try NGramModel.load(path: path, logger: ModelCache.logger) } catch {
            #expect("\(error)".hasPrefix("\(path):\(line): "))
        }
    }

    @Test func positiveProbabilityCanBeDowngraded() throws {
        var config = NGramConfig()
        config.positiveLogProbability = .silent
        let model = try NGramModel.load(path: SharedData.fixture("positive.arpa"), config: config, logger: ModelCache.logger)
        let scores = model.score(sentence: ["a", "b"], sentenceContext: true)
        #expect(scores[1].log10Prob == 0 && scores[1].log10Prob.sign == .minus && scores[1].ngramLength == 2)
    }

    @Test func validFixtureScores() throws {
        let model = try NGramModel.load(path: SharedData.fixture("valid.arpa"), logger: ModelCache.logger)
        let s = model.score(sentence: ["a", "b", "c"], sentenceContext: true)
        #expect(s.map(\.ngramLength) == [2, 2, 1, 1])
        #expect(s.map(\.log10Prob) == [-0.2, -0.3, Float(-1.0) + Float(-0.2), -0.5])
        #expect(s.map(\.isOOV) == [false, false, true, false])
        #expect(s[2].id == 0)
    }

    @Test func unigramModel() throws {
        let model = try NGramModel.load(path: SharedData.fixture("unigram.arpa"), logger: ModelCache.logger)
        #expect(model.order == 1)
        let s = model.score(sentence: ["a", "a"], sentenceContext: true)
        #expect(s.map(\.log10Prob) == [-0.3, -0.3, -0.5])
        #expect(s.map(\.ngramLength) == [1, 1, 1])
    }

    @Test func missingFileAndEmptyFile() throws {
        #expect(throws: ARPAError.self) { _ = try NGramModel.load(path: "/nonexistent/model.arpa", logger: ModelCache.logger) }
        let empty = ModelCache.tempDirectory.appendingPathComponent("empty.arpa").path
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        #expect(throws: ARPAError.malformed(file: empty, line: 1, problem: .missingDataHeader)) {
            _ = try NGramModel.load(path: empty, logger: ModelCache.logger)
        }
    }

    @Test func truncatedGzip() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: SharedData.path("reference/kenlm/kjv2.arpa.gz")))
        let path = ModelCache.tempDirectory.appendingPathComponent("cut.arpa.gz").path
        let renamed = ModelCache.tempDirectory.appendingPathComponent("kjv2-no-extension").path
        defer { for p in [path, renamed] { try? FileManager.default.removeItem(atPath: p) } }
        _ = FileManager.default.createFile(atPath: path, contents: bytes.prefix(bytes.count / 2))
        do {
            _ = try NGramModel.load(path: path, logger: ModelCache.logger)
            Issue.record("a truncated gzip file loaded")
        } catch let ARPAError.unreadable(file, reason) {
            #expect(file == path && reason.contains("truncated"))
        }
        // A gzip file is recognised by its magic bytes, whatever its name.
        _ = FileManager.default.createFile(atPath: renamed, contents: bytes)
        let model = try NGramModel.load(path: renamed, logger: ModelCache.logger)
        #expect(model.order == 2)
    }
}

/// Damaged `.lmb` files are rejected with a clear error.
@Suite struct BinaryFormatTests {
    func binary(_ name: String) throws -> (path: String, bytes: Data) {
        let model = try NGramModel.load(path: SharedData.fixture("valid.arpa"), logger: ModelCache.logger)
        let path = ModelCache.tempDirectory.appendingPathComponent(name).path
        try model.writeBinary(to: path)
        return (path, try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test func truncatedFile() throws {
        let (path, bytes) = try binary("truncated.lmb")
        _ = FileManager.default.createFile(atPath: path, contents: bytes.prefix(bytes.count - 100))
        #expect(throws: LMBError.truncated(file: path, expected: bytes.count, actual: bytes.count - 100)) {
            _ = try NGramModel.load(path: path, logger: ModelCache.logger)
        }
        _ = FileManager.default.createFile(atPath: path, contents: bytes.prefix(100))
        #expect(throws: LMBError.truncated(file: path, expected: 512, actual: 100)) {
            _ = try NGramModel.load(path: path, logger: ModelCache.logger)
        }
    }

    @Test func corruptPayloadAndHeader() throws {
        var (path, bytes) = try binary("corrupt.lmb")
        bytes[bytes.count - 40] ^= 0x5A
        _ = FileManager.default.createFile(atPath: path, contents: bytes)
        #expect(throws: LMBError.corrupt(file: path, what: "payload checksum mismatch")) {
            _ = try NGramModel.load(path: path, logger: ModelCache.logger)
        }
        bytes[bytes.count - 40] ^= 0x5A
        bytes[60] ^= 0x01
        _ = FileManager.default.createFile(atPath: path, contents: bytes)
        #expect(throws: LMBError.corrupt(file: path, what: "header checksum mismatch")) {
            _ = try NGramModel.load(path: path, logger: ModelCache.logger)
        }
        bytes[60] ^= 0x01
        bytes[8] = 99
        _ = FileManager.default.createFile(atPath: path, contents: bytes)
        #expect(throws: LMBError.unsupportedVersion(file: path, found: 99)) {
            _ = try NGramModel.load(path: path, logger: ModelCache.logger)
        }
    }

    @Test func roundTripIsByteIdentical() throws {
        let (path, bytes) = try binary("roundtrip.lmb")
        let again = try NGramModel.load(path: path, logger: ModelCache.logger)
        let path2 = path + ".2"
        try again.writeBinary(to: path2)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path2)) == bytes)
        #expect(again.description.format == "lmb")
    }
}
