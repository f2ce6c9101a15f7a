/// A filter over the `requests` table, shared by `lmserve logs` and `GET /admin/requests`.
package struct RequestQuery: Sendable, Equatable {
    /// A status filter: one exact code (404) or a class (5xx = 500…599).
    package enum StatusFilter: Sendable, Equatable, CustomStringConvertible {
        case code(Int)
        /// The hundreds digit: 5 for 5xx.
        case statusClass(Int)

        /// Parses "404", "5xx" (case-insensitive) or "5XX".
        /// - Throws: `RequestLogError.invalidStatusFilter`.
        package init(parsing text: String) throws {
            let trimmed = text.trimmingPrefix(while: \.isWhitespace).lowercased()
            if trimmed.count == 3, trimmed.hasSuffix("xx"), let digit = trimmed.first?.wholeNumberValue,
                (1...5).contains(digit)
            {
                self = .statusClass(digit)
            } else if trimmed.count == 3, let code = Int(trimmed), (100...599).contains(code) {
                self = .code(code)
            } else {
                throw RequestLogError.invalidStatusFilter(text)
            }
        }

        /// The inclusive code range this filter matches.
        package var range: ClosedRange<Int> {
            switch self {
            case .code(let code): return code...code
            case .statusClass(let digit): return (digit * 100)...(digit * 100 + 99)
            }
        }

        package var description: String {
            switch self {
            case .code(let code): return String(code)
            case .statusClass(let digit): return "\(digit)xx"
            }
        }
    }

    /// Only requests at or after this time (unix seconds).
    package var since: Double?
    package var model: String?
    package var route: String?
    package var status: StatusFilter?
    /// Only requests made with the API key of this name.
    package var keyName: String?
    /// Maximum rows returned (newest first).
    package var limit: Int
    /// Matching rows skipped before the first returned (paging).
    package var offset: Int

    package init(
        since: Double? = nil, model: String? = nil, route: String? = nil, status: StatusFilter? = nil, limit: Int = 100,
        offset: Int = 0, keyName: String? = nil
    ) {
        self.keyName = keyName
        self.since = since
        self.model = model
        self.route = route
        self.status = status
        self.limit = limit
        self.offset = offset
    }

    /// The WHERE clause (always bound parameters) and its values.
    func whereClause() -> (sql: String, parameters: [SQLiteValue]) {
        var conditions: [String] = []
        var parameters: [SQLiteValue] = []
        if let since {
            conditions.append("time >= ?")
            parameters.append(.real(since))
        }
        if let model {
            conditions.append("model = ?")
            parameters.append(.text(model))
        }
        if let route {
            conditions.append("route = ?")
            parameters.append(.text(route))
        }
        if let keyName {
            conditions.append("key_name = ?")
            parameters.append(.text(keyName))
        }
        if let status {
            conditions.append("status BETWEEN ? AND ?")
            parameters += [.integer(Int64(status.range.lowerBound)), .integer(Int64(status.range.upperBound))]
        }
        return (conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "), parameters)
    }
}

extension RequestLogDatabase {
    /// Requests matching `query`, newest first, at most `query.limit` after skipping `query.offset`.
    package func requests(matching query: RequestQuery) throws -> [RequestRecord] {
        let (whereSQL, parameters) = query.whereClause()
        return try database.query(
            """
            SELECT request_id, time, route, model, status, error_type, client_address, latency_ms, queue_ms,
                compute_ms, batch_size, prompt_tokens, completion_tokens, scored_tokens, perplexity,
                prompt_text, output_text, key_name, model_version
            FROM requests \(whereSQL) ORDER BY time DESC, id DESC LIMIT ? OFFSET ?
            """,
            parameters + [.integer(Int64(max(0, query.limit))), .integer(Int64(max(0, query.offset)))]
        ) { row in
            RequestRecord(
                requestID: row.text(at: 0) ?? "", time: row.double(at: 1), route: row.text(at: 2) ?? "",
                model: row.text(at: 3), status: Int(row.int64(at: 4)), errorType: row.text(at: 5),
                clientAddress: row.text(at: 6), latencyMs: row.double(at: 7), queueMs: row.optionalDouble(at: 8),
                computeMs: row.optionalDouble(at: 9), batchSize: row.optionalInt(at: 10),
                promptTokens: Int(row.int64(at: 11)), completionTokens: Int(row.int64(at: 12)),
                scoredTokens: Int(row.int64(at: 13)), perplexity: row.optionalDouble(at: 14),
                promptText: row.text(at: 15), outputText: row.text(at: 16), keyName: row.text(at: 17),
                modelVersion: row.text(at: 18))
        }
    }

    /// The per-request values `RequestStats` aggregates, for requests matching `query` (its
    /// limit is ignored).
    package func statsSamples(matching query: RequestQuery) throws -> [RequestStats.Sample] {
        let (whereSQL, parameters) = query.whereClause()
        return try database.query(
            """
            SELECT time, route, model, status, latency_ms, prompt_tokens + completion_tokens + scored_tokens
            FROM requests \(whereSQL)
            """,
            parameters
        ) { row in
            RequestStats.Sample(
                time: row.double(at: 0), route: row.text(at: 1) ?? "", model: row.text(at: 2),
                status: Int(row.int64(at: 3)), latencyMs: row.double(at: 4), tokens: Int(row.int64(at: 5)))
        }
    }
}
