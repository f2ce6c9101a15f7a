import Foundation
import LMCore
import Testing

@testable import LSTM

@Suite struct CheckpointExportTests {
    /// Parses a safetensors file with Foundation only: header JSON and raw tensor bytes.
    struct Parsed {
        var header: [String: Any]
        var metadata: [String: Any]
        var data: Data

        init(_ url: URL) throws {
            let file = try Data(contentsOf: url)
            let n = file.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            #expect(n % 8 == 0)
            header = try JSONSerialization.jsonObject(with: file.subdata(in: 8..<(8 + n))) as! [String: Any]
            metadata = header.removeValue(forKey: "__metadata__") as? [String: Any] ?? [:]
            data = file.subdata(in: (8 + n)..<file.count)
        }

        func floats(_ name: String) -> [Float] {
            let info = header[name] as! [String: Any]
            let offsets = info["data_offsets"] as! [Int]
            return data.subdata(in: offsets[0]..<offsets[1]).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
    }

    @Test(arguments: [(0, false), (6, false), (8, true)])
    func fileHasPyTorchNamesShapesAndMetadata(proj: Int, tied: Bool) throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var o = TrainingFixtures.options(emb: 8, hidden: 12, layers: 2, proj: proj, tied: tied)
        o.epochs = 1
        let trainer = try LSTMTrainer(
            options: o, trainText: TrainingFixtures.repetitiveText(lines: 60, seed: 5),
            validText: TrainingFixtures.repetitiveText(lines: 10, seed: 6))
        let url = dir.appendingPathComponent("model.safetensors")
        _ = try trainer.run(output: url.path)
        let parsed = try Parsed(url)

        let v = trainer.vocabulary.count, e = 8, h = 12, r = proj > 0 ? proj : h
        var expected: [String: [Int]] = [
            "embedding.weight": [v, e], "decoder.weight": [v, r], "decoder.bias": [v],
        ]
        for k in 0..<2 {
            expected["lstm.weight_ih_l\(k)"] = [4 * h, k == 0 ? e : r]
            expected["lstm.weight_hh_l\(k)"] = [4 * h, r]
            expected["lstm.bias_ih_l\(k)"] = [4 * h]
            expected["lstm.bias_hh_l\(k)"] = [4 * h]
            if proj > 0 { expected["lstm.weight_hr_l\(k)"] = [proj, h] }
        }
        #expect(Set(parsed.header.keys) == Set(expected.keys))
        var spans: [(Int, Int)] = []
        for (name, shape) in expected {
            let info = try #require(parsed.header[name] as? [String: Any])
            #expect(info["dtype"] as? String == "F32")
            #expect(info["shape"] as? [Int] == shape, "\(name)")
            let offsets = try #require(info["data_offsets"] as? [Int])
            #expect(offsets[1] - offsets[0] == shape.reduce(4, *), "\(name)")
            spans.append((offsets[0], offsets[1]))
        }
        // The tensors tile the data section exactly.
        spans.sort { $0.0 < $1.0 }
        #expect(spans.first?.0 == 0 && spans.last?.1 == parsed.data.count)
        #expect(zip(spans, spans.dropFirst()).allSatisfy { $0.1 == $1.0 })

        let m = parsed.metadata
        #expect(m.values.allSatisfy { $0 is String })
        let strings = m as! [String: String]
        let config: [String: String] = [
            "emb_size": "8", "hidden_size": "12", "num_layers": "2", "proj_size": String(proj),
            "tie_weights": tied ? "true" : "false", "vocab_size": String(v), "bos_id": "0", "eos_id": "0",
            "unk_id": "1", "bos": "</s>", "eos": "</s>", "unk": "<unk>", "gate_order": "i,f,g,o", "min_count": "1",
            "model_type": "lstm_lm", "format": "pt", "batch_first": "true",
        ]
        for (key, value) in config { #expect(strings[key] == value, "\(key)") }
        #expect(strings["tokenization"]?.contains("zero state per line") == true)
        let vocab = try JSONSerialization.jsonObject(with: Data(strings["vocab"]!.utf8)) as? [String]
        #expect(vocab == trainer.vocabulary.words)
        let sidecar = try String(contentsOf: dir.appendingPathComponent("model.vocab.txt"), encoding: .utf8)
        #expect(sidecar.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) == trainer.vocabulary.words)
        if tied { #expect(parsed.floats("decoder.weight") == parsed.floats("embedding.weight")) }
        #expect(Double(strings["valid_ppl"] ?? "") != nil)
    }

    @Test func jsonStringsAreEscaped() throws {
        let tricky = "a\"b\\c\nd\u{01}é"
        let json = "[" + CheckpointWriter.jsonString(tricky) + "]"
        let back = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String]
        #expect(back == [tricky])
    }
}
