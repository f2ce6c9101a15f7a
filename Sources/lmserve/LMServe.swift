import ArgumentParser
import BuildInfo

/// The `lmserve` command: serve, score, train and benchmark language models.
@main
struct LMServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lmserve",
        abstract: "Serve, score and train N-gram and LSTM language models.",
        version: BuildInfo.version,
        subcommands: LMServe.allSubcommands
    )
}
