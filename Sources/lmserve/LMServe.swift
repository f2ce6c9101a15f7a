import ArgumentParser
import BuildInfo
import LSTM

/// The `lmserve` command: serve, score, train and benchmark language models.
@main
struct LMServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lmserve",
        abstract: "Serve, score and train N-gram and LSTM language models.",
        version: BuildInfo.version,
        subcommands: LMServe.allSubcommands
    )

    /// Makes OpenBLAS run kernels as good as the CPU's (which may start the process again with
    /// `OPENBLAS_CORETYPE` set, before anything else runs), then runs the command.
    static func main() async {
        ComputeBackend.chooseBLASCore()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
