/// Time a request spent in the scheduler.
package struct JobTiming: Sendable, Equatable {
    /// From submission to admission into the running batch.
    package var queueSeconds: Double = 0
    /// From admission to completion.
    package var computeSeconds: Double = 0
    /// The largest batch (sequences in one step) the request ran in.
    package var batchSize: Int = 0

    package init(queueSeconds: Double = 0, computeSeconds: Double = 0, batchSize: Int = 0) {
        self.queueSeconds = queueSeconds
        self.computeSeconds = computeSeconds
        self.batchSize = batchSize
    }
}
