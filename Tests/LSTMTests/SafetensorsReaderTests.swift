import Foundation
import LMCore
import Logging
import Testing
@testable import LSTM

/// The safetensors reader on good and hand-broken files, written to a temporary directory.
@Suite("Safetensors reader")
struct SafetensorsReaderTests {
    /// Writes `bytes` to a fresh file and returns its path (the directory is removed by `cleanup`).
    static func file(_ bytes: Data) throws -> (String, URL) {
        let dir = try TestSupport.temporaryDirectory()
        let path = dir.appendingPathComponent("model.safetensors").path
        try bytes.write(to: URL(fileURLWithPath: path))
        return (path, dir)
    }

    /// A file with a hand-written header and `dataSize` zero bytes of data.
    static func raw(header: String, dataSize: Int = 0) -> Data {
        var d = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { d.append(contentsOf: $0) }
        d.append(Data(header.utf8))
        d.append(Data(count: dataSize))
        return d
    }

    static func expectError(_ bytes: Data, _ expected: SafetensorsError) throws {
        let (path, dir) = try file(bytes)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: expected) { try SafetensorsReader(path: path) }
    }

    /// Loading the model from `bytes` must fail with `expected`.
    static func expectModelError(_ bytes: Data, _ expected: SafetensorsError) throws {
        let (path, dir) = try file(bytes)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: expected) { try LSTMModel.load(path: path, logger: Logger(label: "test")) }
    }

    @Test("Round trip through the writer, with metadata")
    func roundTrip() throws {
        var w = SafetensorsWriter(metadata: ["note": "hé \"quoted\"", "n": "3"])
        w.add("a", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        w.add("b.c", shape: [1], values: [-0.5])
        w.add("empty", shape: [0, 4], values: [])
        let (path, dir) = try Self.file(w.encoded())
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try SafetensorsReader(path: path)
        #expect(r.tensorNames == ["a", "b.c", "empty"])
        #expect(r.metadata == ["note": "hé \"quoted\"", "n": "3"])
        #expect(try r.floats("a", shape: [2, 3]) == [1, 2, 3, 4, 5, 6])
        #expect(try r.floats("b.c") == [-0.5])
        #expect(try r.floats("empty") == [])
        #expect(throws: SafetensorsError.wrongShape(tensor: "a", expected: [3, 2], actual: [2, 3])) { try r.floats("a", shape: [3, 2]) }
        #expect(throws: SafetensorsError.missingTensor("zz")) { try r.floats("zz") }
    }

    @Test("F16 and BF16 decode known bit patterns")
    func halfDecoding() throws {
        // F16: 1, -2, 0.5, 65504 (max), 2^-24 (smallest subnormal), -0, +inf, 0.333 (0x3555).
        let f16: [UInt16] = [0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001, 0x8000, 0x7C00, 0x3555]
        let f16Values: [Float] = [1, -2, 0.5, 65504, 0x1p-24, -0.0, .infinity, 0.333251953125]
        // BF16: 1, -2, 3.140625 (0x4049), 1e-38-ish subnormal 0x0001, -inf.
        let bf16: [UInt16] = [0x3F80, 0xC000, 0x4049, 0x0001, 0xFF80]
        let bf16Values: [Float] = [1, -2, 3.140625, Float(bitPattern: 0x0001_0000), -.infinity]
        var data = Data()
        for v in f16 + bf16 { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        var file = Self.raw(header: """
            {"h":{"dtype":"F16","shape":[8],"data_offsets":[0,16]},"b":{"dtype":"BF16","shape":[5],"data_offsets":[16,26]}}
            """)
        file.append(data)
        let (path, dir) = try Self.file(file)
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try SafetensorsReader(path: path)
        let h = try r.floats("h")
        #expect(h.map(\.bitPattern) == f16Values.map(\.bitPattern))
        #expect(try r.floats("b").map(\.bitPattern) == bf16Values.map(\.bitPattern))
        // And the writer's rounding inverts the decoding.
        for (bits, value) in zip(f16, f16Values) { #expect(SafetensorsDType.floatToHalf(value) == bits) }
        for (bits, value) in zip(bf16, bf16Values) { #expect(SafetensorsDType.floatToBFloat(value) == bits) }
        #expect(SafetensorsDType.floatToHalf(1 + 0x1p-11) == 0x3C00)  // tie → even
        #expect(SafetensorsDType.floatToHalf(1 + 0x1p-11 + 0x1p-20) == 0x3C01)
    }

    @Test("Files too short for the header length")
    func truncatedHeaderLength() throws {
        try Self.expectError(Data(), .truncatedHeaderLength(fileSize: 0))
        try Self.expectError(Data([1, 0, 0]), .truncatedHeaderLength(fileSize: 3))
    }

    @Test("Header length past the end of the file")
    func headerPastEnd() throws {
        var d = Self.raw(header: "{}")
        d.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1000).littleEndian) { Data($0) })
        try Self.expectError(d, .headerPastEnd(headerLength: 1000, fileSize: 10))
        var huge = Data(count: 16)
        huge.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64.max.littleEndian) { Data($0) })
        try Self.expectError(huge, .headerPastEnd(headerLength: UInt64.max, fileSize: 16))
    }

    @Test("Bad header JSON and bad entries")
    func badHeader() throws {
        let (path, dir) = try Self.file(Self.raw(header: "{\"a\": {\"dtype\": "))
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect {
            try SafetensorsReader(path: path)
        } throws: { error in
            guard case .badHeader = error as? SafetensorsError else { return false }
            return true
        }
        try Self.expectError(Self.raw(header: "[1, 2]"), .badHeader("the header is not a JSON object"))
        try Self.expectError(Self.raw(header: #"{"a": {"shape": [1], "data_offsets": [0, 4]}}"#, dataSize: 4),
                             .badEntry(tensor: "a", problem: "missing or non-string dtype"))
        try Self.expectError(Self.raw(header: #"{"a": {"dtype": "F33", "shape": [1], "data_offsets": [0, 4]}}"#, dataSize: 4),
                             .unknownDType(tensor: "a", dtype: "F33"))
        try Self.expectError(Self.raw(header: #"{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#, dataSize: 4),
                             .badEntry(tensor: "a", problem: "shape is not a list of non-negative integers"))
        try Self.expectError(Self.raw(header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0]}}"#, dataSize: 8),
                             .badEntry(tensor: "a", problem: "data_offsets is not two non-negative integers"))
        try Self.expectError(Self.raw(header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}"#, dataSize: 8),
                             .sizeMismatch(tensor: "a", expectedBytes: 8, actualBytes: 4))
        try Self.expectError(Self.raw(header: #"{"__metadata__": {"k": 3}}"#), .badMetadata(key: "k", problem: "value is not a string"))
    }

    @Test("Offsets past the data section (truncated data) and overlapping tensors")
    func offsets() throws {
        try Self.expectError(Self.raw(header: #"{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}"#, dataSize: 10),
                             .dataPastEnd(tensor: "a", end: 16, dataSize: 10))
        try Self.expectError(
            Self.raw(header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#,
                     dataSize: 12),
            .overlapping(tensor: "b", other: "a"))
    }

    @Test("Integer tensors open but cannot be read as floats")
    func integerTensor() throws {
        let (path, dir) = try Self.file(Self.raw(header: #"{"a": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}}"#, dataSize: 8))
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try SafetensorsReader(path: path)
        #expect(throws: SafetensorsError.unsupportedDType(tensor: "a", dtype: "I64")) { try r.floats("a") }
    }

    @Test("A truncated model file is an error, never a crash")
    func truncatedModel() throws {
        let full = TinyModel(vocabulary: 20, embedding: 4, hidden: 8, layers: 2).writer().encoded()
        for cut in [4, 8, 20, full.count / 2, full.count - 1] {
            let (path, dir) = try Self.file(full.prefix(cut))
            defer { try? FileManager.default.removeItem(at: dir) }
            #expect(throws: SafetensorsError.self) { try LSTMModel.load(path: path, logger: Logger(label: "test")) }
        }
    }

    @Test("Missing tensors are named")
    func missingTensors() throws {
        for name in ["embedding.weight", "lstm.weight_ih_l0", "lstm.weight_hh_l1", "lstm.bias_ih_l0", "lstm.bias_hh_l1",
                     "decoder.weight", "decoder.bias"] {
            var tiny = TinyModel(vocabulary: 20, embedding: 4, hidden: 8, layers: 2)
            tiny.tensors[name] = nil
            if name == "lstm.weight_ih_l0" { tiny.tensors["lstm.weight_ih_l1"] = nil }
            try Self.expectModelError(tiny.writer().encoded(), .missingTensor(name))
        }
        var projected = TinyModel(vocabulary: 20, embedding: 4, hidden: 8, projection: 3, layers: 2)
        projected.tensors["lstm.weight_hr_l1"] = nil
        try Self.expectModelError(projected.writer().encoded(), .missingTensor("lstm.weight_hr_l1"))
    }

    @Test("Mis-shaped tensors are named with expected and actual shapes")
    func wrongShapes() throws {
        func broken(_ name: String, _ shape: [Int]) -> Data {
            var tiny = TinyModel(vocabulary: 20, embedding: 4, hidden: 8, layers: 2)
            tiny.tensors[name] = (shape, [Float](repeating: 0.1, count: shape.reduce(1, *)))
            return tiny.writer().encoded()
        }
        try Self.expectModelError(broken("lstm.weight_hh_l0", [32, 7]), .wrongShape(tensor: "lstm.weight_hh_l0", expected: [32, 8], actual: [32, 7]))
        try Self.expectModelError(broken("lstm.weight_ih_l1", [32, 4]), .wrongShape(tensor: "lstm.weight_ih_l1", expected: [32, 8], actual: [32, 4]))
        try Self.expectModelError(broken("lstm.bias_hh_l1", [31]), .wrongShape(tensor: "lstm.bias_hh_l1", expected: [32], actual: [31]))
        try Self.expectModelError(broken("decoder.weight", [20, 9]), .wrongShape(tensor: "decoder.weight", expected: [20, 8], actual: [20, 9]))
        try Self.expectModelError(broken("decoder.bias", [21]), .wrongShape(tensor: "decoder.bias", expected: [20], actual: [21]))
        try Self.expectModelError(broken("lstm.weight_ih_l0", [30, 4]), .wrongShape(tensor: "lstm.weight_ih_l0", expected: [-1, 4], actual: [30, 4]))
        try Self.expectModelError(broken("embedding.weight", [20]), .wrongShape(tensor: "embedding.weight", expected: [-1, -1], actual: [20]))
    }

    @Test("Missing files and directories are errors")
    func unopenable() throws {
        #expect(throws: SafetensorsError.self) { try SafetensorsReader(path: "/nonexistent/model.safetensors") }
        #expect(throws: SafetensorsError.cannotOpen(path: "/tmp", reason: "not a regular file")) { try SafetensorsReader(path: "/tmp") }
    }
}
