import Foundation

/// Process metrics read from `/proc/self` at scrape time (Linux; nil elsewhere):
/// resident memory, CPU seconds, open descriptors and start time, with Prometheus' standard names.
package struct ProcessMetrics: Sendable, Equatable {
    /// `process_resident_memory_bytes`.
    package var residentMemoryBytes: Double
    /// `process_cpu_seconds_total` (user + system).
    package var cpuSecondsTotal: Double
    /// `process_open_fds`.
    package var openFileDescriptors: Double
    /// `process_start_time_seconds`, unix seconds.
    package var startTimeSeconds: Double

    /// Reads `/proc/self/stat`, `/proc/self/statm`, `/proc/self/fd` and `/proc/stat` (btime).
    /// - Returns: nil if /proc is unavailable or unparsable.
    package static func read() -> ProcessMetrics? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
            let systemStat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8)
        else { return nil }
        // Fields after the command name, which is in parentheses and may contain spaces.
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state): utime = field 14, stime = 15, starttime = 22.
        guard fields.count > 19, let utime = Double(fields[11]), let stime = Double(fields[12]),
            let startTicks = Double(fields[19])
        else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        let statmFields = statm.split(separator: " ")
        guard ticks > 0, statmFields.count > 1, let residentPages = Double(statmFields[1]) else { return nil }
        guard let btimeLine = systemStat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
            let bootTime = Double(btimeLine.dropFirst("btime ".count))
        else { return nil }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        return ProcessMetrics(
            residentMemoryBytes: residentPages * pageSize, cpuSecondsTotal: (utime + stime) / ticks,
            openFileDescriptors: Double(max(0, fds - 1)),  // minus the descriptor listing the directory
            startTimeSeconds: bootTime + startTicks / ticks)
    }

    /// The four metrics in Prometheus text format.
    package func render() -> String {
        """
        # HELP process_resident_memory_bytes Resident memory size in bytes.
        # TYPE process_resident_memory_bytes gauge
        process_resident_memory_bytes \(PrometheusText.format(residentMemoryBytes))
        # HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
        # TYPE process_cpu_seconds_total counter
        process_cpu_seconds_total \(PrometheusText.format(cpuSecondsTotal))
        # HELP process_open_fds Number of open file descriptors.
        # TYPE process_open_fds gauge
        process_open_fds \(PrometheusText.format(openFileDescriptors))
        # HELP process_start_time_seconds Start time of the process since unix epoch in seconds.
        # TYPE process_start_time_seconds gauge
        process_start_time_seconds \(PrometheusText.format(startTimeSeconds))

        """
    }
}
