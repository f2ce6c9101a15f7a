import Foundation

/// The request logs of several replicas read as one, for `lmserve logs` and `lmserve stats` with
/// several `--db`: rows merged by time, each tagged with the instance whose log it came from.
package struct RequestLogFleet {
    /// One replica's log.
    package struct Member {
        /// The file name without its extension (`r1.db` → `r1`); the path as given when two
        /// files share a name.
        package let instance: String
        let reader: RequestLogReader
    }

    package let members: [Member]

    /// Opens every log (never creates one).
    /// - Throws: `RequestLogError.missingDatabase`, `.unreadable`, `.schemaTooNew` for the first
    ///   path that cannot be read.
    package init(paths: [String]) throws {
        let names = paths.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
        let distinct = Set(names).count == names.count
        members = try zip(paths, names).map { path, name in
            Member(instance: distinct ? name : path, reader: try RequestLogReader(path: path))
        }
    }

    /// Requests matching `query` from every log, newest first: `query.offset` merged rows
    /// skipped, then at most `query.limit`. Equal times are ordered by instance, so the output is
    /// the same every time.
    package func requests(matching query: RequestQuery) throws -> [(instance: String, record: RequestRecord)] {
        // Each log's first offset + limit rows hold every row of the merged page.
        var each = query
        each.offset = 0
        each.limit = max(0, query.offset) + max(0, query.limit)
        var all: [(instance: String, record: RequestRecord)] = []
        for member in members {
            all += try member.reader.requests(matching: each).map { (member.instance, $0) }
        }
        all.sort { $0.record.time != $1.record.time ? $0.record.time > $1.record.time : $0.instance < $1.instance }
        return Array(all.dropFirst(max(0, query.offset)).prefix(max(0, query.limit)))
    }

    /// Stats over every log together; with more than one log, also a group per instance.
    package func stats(matching query: RequestQuery) throws -> RequestStats {
        let samples = try members.map { ($0.instance, try $0.reader.statsSamples(matching: query)) }
        guard samples.count > 1 else { return RequestStats(samples: samples.first?.1 ?? []) }
        return RequestStats(instances: samples)
    }
}
