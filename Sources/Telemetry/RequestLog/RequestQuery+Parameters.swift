extension RequestQuery {
    /// The most rows one query may ask for through `init(parameters:now:)`.
    package static let maximumLimit = 10_000
    /// The most rows one query may skip through `init(parameters:now:)`.
    package static let maximumOffset = 1_000_000

    /// A query from URL parameters, as `GET /admin/requests?since=1h&model=m&route=/v1/x&status=5xx&key=app&limit=50&offset=50`
    /// would pass them (already percent-decoded). Unknown keys are ignored.
    /// - Parameter now: the current time, unix seconds (`since` counts back from it).
    /// - Throws: `RequestLogError.invalidParameter` naming the parameter, or
    ///   `.invalidStatusFilter`.
    package init(parameters: [String: String], now: Double, defaultLimit: Int = 100) throws {
        self.init(limit: defaultLimit)
        if let since = parameters["since"] {
            do {
                self.since = now - (try DurationParser.seconds(since))
            } catch let error as DurationParser.ParseError {
                throw RequestLogError.invalidParameter(name: "since", reason: error.description)
            }
        }
        model = parameters["model"]
        route = parameters["route"]
        keyName = parameters["key"]
        status = try parameters["status"].map(StatusFilter.init(parsing:))
        if let text = parameters["limit"] {
            guard let limit = Int(text), (1...Self.maximumLimit).contains(limit) else {
                throw RequestLogError.invalidParameter(
                    name: "limit", reason: "'\(text)' is not a whole number from 1 to \(Self.maximumLimit)")
            }
            self.limit = limit
        }
        if let text = parameters["offset"] {
            guard let offset = Int(text), (0...Self.maximumOffset).contains(offset) else {
                throw RequestLogError.invalidParameter(
                    name: "offset", reason: "'\(text)' is not a whole number from 0 to \(Self.maximumOffset)")
            }
            self.offset = offset
        }
    }
}
