import Foundation

/// Process metrics read from `/proc/self` at scrape time (Linux; nil elsewhere), with the names
/// and help texts of Prometheus' client libraries: CPU seconds, resident and virtual memory,
/// open and maximum descriptors, start time.
package struct ProcessMetrics: Sendable, Equatable {
    /// `process_resident_memory_bytes`.
    package var residentMemoryBytes: Double
    /// `process_virtual_memory_bytes`.
    package var virtualMemoryBytes: Double
    /// `process_cpu_seconds_total` (user + system).
    package var cpuSecondsTotal: Double
    /// `process_open_fds`.
    package var openFileDescriptors: Double
    /// `process_max_fds`: the soft `RLIMIT_NOFILE` (nil when unlimited).
    package var maxFileDescriptors: Double?
    /// `process_start_time_seconds`, unix seconds.
    package var startTimeSeconds: Double

    /// Reads `/proc/self/stat`, `/proc/self/statm`, `/proc/self/fd`, `/proc/stat` (btime) and
    /// `getrlimit(RLIMIT_NOFILE)`.
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
        guard ticks > 0, statmFields.count > 1, let virtualPages = Double(statmFields[0]),
            let residentPages = Double(statmFields[1])
        else { return nil }
        guard let btimeLine = systemStat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
            let bootTime = Double(btimeLine.dropFirst("btime ".count))
        else { return nil }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        var limit = rlimit()
        let maxFDs = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 && limit.rlim_cur != rlim_t.max  // RLIM_INFINITY
            ? Double(limit.rlim_cur) : nil
        return ProcessMetrics(
            residentMemoryBytes: residentPages * pageSize, virtualMemoryBytes: virtualPages * pageSize,
            cpuSecondsTotal: (utime + stime) / ticks,
            openFileDescriptors: Double(max(0, fds - 1)),  // minus the descriptor listing the directory
            maxFileDescriptors: maxFDs, startTimeSeconds: bootTime + startTicks / ticks)
    }

    /// The metrics in Prometheus text format.
    package func render() -> String {
        let maxFDs = maxFileDescriptors.map {
            """
            # HELP process_max_fds Maximum number of open file descriptors.
            # TYPE process_max_fds gauge
            process_max_fds \(PrometheusText.format($0))

            """
        }
        return """
        # HELP process_resident_memory_bytes Resident memory size in bytes.
        # TYPE process_resident_memory_bytes gauge
        process_resident_memory_bytes \(PrometheusText.format(residentMemoryBytes))
        # HELP process_virtual_memory_bytes Virtual memory size in bytes.
        # TYPE process_virtual_memory_bytes gauge
        process_virtual_memory_bytes \(PrometheusText.format(virtualMemoryBytes))
        # HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
        # TYPE process_cpu_seconds_total counter
        process_cpu_seconds_total \(PrometheusText.format(cpuSecondsTotal))
        # HELP process_open_fds Number of open file descriptors.
        # TYPE process_open_fds gauge
        process_open_fds \(PrometheusText.format(openFileDescriptors))
        # HELP process_start_time_seconds Start time of the process since unix epoch in seconds.
        # TYPE process_start_time_seconds gauge
        process_start_time_seconds \(PrometheusText.format(startTimeSeconds))

        """ + (maxFDs ?? "")
    }
}
