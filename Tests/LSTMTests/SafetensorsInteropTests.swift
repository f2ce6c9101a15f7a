import Foundation
import Testing
@testable import LSTM

/// Files exchanged with the Python `safetensors` package (what PyTorch uses to read and write).
@Suite("Safetensors interop with Python", .enabled(if: PythonSafetensors.available))
struct SafetensorsInteropTests {}

/// A `python3` with the `safetensors` and `numpy` packages (installed here; skipped elsewhere).
enum PythonSafetensors {
    static let available: Bool = (try? run(["-c", "import safetensors.numpy, numpy"])) != nil

    /// Runs `python3 args`; returns stdout, throws on a non-zero exit.
    @discardableResult
    static func run(_ args: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + args
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
        return String(decoding: data, as: UTF8.self)
    }
}

extension SafetensorsInteropTests {
    @Test("Python reads what SafetensorsWriter writes (F32, F16, metadata)")
    func pythonReadsOurs() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("ours.safetensors").path
        var w = SafetensorsWriter(metadata: ["vocab": "[\"</s>\", \"<unk>\"]", "hidden_size": "3"])
        w.add("lstm.weight_hh_l0", shape: [2, 3], values: [1.5, -2, 0.25, 3, 4, 1e-3])
        w.add("embedding.weight", shape: [3], values: [0.1, 0.2, 65504], dtype: .f16)
        try w.write(to: path)
        let script = """
            import json, sys
            from safetensors import safe_open
            from safetensors.numpy import load_file
            t = load_file(sys.argv[1])
            with safe_open(sys.argv[1], framework="numpy") as f: meta = f.metadata()
            print(json.dumps({"meta": meta, "tensors": {k: {"dtype": str(v.dtype), "shape": list(v.shape),
                  "values": [float(x) for x in v.astype("float64").ravel()]} for k, v in t.items()}}))
            """
        let output = try PythonSafetensors.run(["-c", script, path])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect(json["meta"] as? [String: String] == ["vocab": "[\"</s>\", \"<unk>\"]", "hidden_size": "3"])
        let tensors = try #require(json["tensors"] as? [String: [String: Any]])
        let hh = try #require(tensors["lstm.weight_hh_l0"])
        #expect(hh["dtype"] as? String == "float32")
        #expect(hh["shape"] as? [Int] == [2, 3])
        #expect((hh["values"] as? [Double])?.map { Float($0) } == [1.5, -2, 0.25, 3, 4, 1e-3])
        let emb = try #require(tensors["embedding.weight"])
        #expect(emb["dtype"] as? String == "float16")
        let expected: [Float] = [0.1, 0.2, 65504].map { SafetensorsDType.halfToFloat(SafetensorsDType.floatToHalf($0)) }
        #expect((emb["values"] as? [Double])?.map { Float($0) } == expected)
    }

    @Test("SafetensorsReader reads what Python writes")
    func weReadPythons() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("theirs.safetensors").path
        let script = """
            import sys, numpy as np
            from safetensors.numpy import save_file
            save_file({"a": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
                       "h": np.array([1, -0.5, 0.1], dtype=np.float16),
                       "d": np.array([0.1], dtype=np.float64)}, sys.argv[1], metadata={"k": "v"})
            """
        try PythonSafetensors.run(["-c", script, path])
        let r = try SafetensorsReader(path: path)
        #expect(r.metadata == ["k": "v"])
        #expect(try r.floats("a", shape: [2, 3]) == [0, 0.25, 0.5, 0.75, 1, 1.25])
        #expect(try r.floats("h") == [1, -0.5, SafetensorsDType.halfToFloat(0x2E66)])
        #expect(try r.floats("d") == [Float(0.1)])
    }
}
