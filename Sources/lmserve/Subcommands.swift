import ArgumentParser

extension LMServe {
    /// Every subcommand, in `--help` order. Each lives in its own `*Command.swift` file.
    static let allSubcommands: [any ParsableCommand.Type] = [
        ServeCommand.self,
        PplCommand.self,
        TuneMixCommand.self,
        ConvertCommand.self,
        TrainCommand.self,
        BenchCommand.self,
        LogsCommand.self,
        StatsCommand.self,
        KeysCommand.self,
        ModelsCommand.self,
        LSTMBenchCommand.self,
    ]
}
