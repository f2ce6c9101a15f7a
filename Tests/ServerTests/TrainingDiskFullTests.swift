import Foundation
import Testing

/// `lmserve train ngram` when its temporary folder runs out of room: a clear error naming the
/// folder, exit 1, and no model file or temporary file left. The room runs out for real: the
/// process runs under a file size limit (`ulimit -f`, RLIMIT_FSIZE), so its writes to the
/// scratch files fail with EFBIG as they would with ENOSPC on a full disk.
@Suite struct TrainingDiskFullTests {
    @Test func fullTemporaryFolderIsAClearErrorAndLeavesNothing() throws {
        let dir = TempDir()
        let scratch = dir.path("scratch")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        // 3,000 lines of KJV: with --memory 64K the token ids alone spill far beyond 64 KiB.
        let text = try String(contentsOfFile: Shared.path("corpora/kjv/train.txt"), encoding: .utf8)
        let input = dir.path("train.txt")
        try (text.split(separator: "\n").prefix(3000).joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let output = dir.path("model.arpa")
        let command = "ulimit -f 64; exec \"$0\" train ngram --quiet --order 3 --memory 64K --temp \"$1\" --output \"$2\" \"$3\""
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command, ProcessTests.binary, scratch, output, input]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit)
        #expect(p.terminationStatus == 1)
        #expect(stderr.contains("the temporary directory \(scratch) is full"), "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0 != "train.txt" && $0 != "scratch" }
        #expect(left.isEmpty, "left beside the model: \(left)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty)
    }
}
