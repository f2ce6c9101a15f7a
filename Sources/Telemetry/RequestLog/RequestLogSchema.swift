/// The request-log schema: ordered migrations, tracked by `PRAGMA user_version`.
///
/// Migration *i* (0-based) moves the schema from version *i* to *i*+1. Append new migrations;
/// never edit a shipped one.
package enum RequestLogSchema {
    package static let migrations: [String] = [
        // 1: requests, metric samples, model events.
        """
        CREATE TABLE requests (
            id INTEGER PRIMARY KEY,
            request_id TEXT NOT NULL,
            time REAL NOT NULL,
            route TEXT NOT NULL,
            model TEXT,
            status INTEGER NOT NULL,
            error_type TEXT,
            client_address TEXT,
            latency_ms REAL NOT NULL,
            queue_ms REAL,
            compute_ms REAL,
            batch_size INTEGER,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            scored_tokens INTEGER NOT NULL DEFAULT 0,
            perplexity REAL,
            prompt_text TEXT,
            output_text TEXT
        );
        CREATE INDEX requests_time ON requests(time);
        CREATE INDEX requests_model_time ON requests(model, time);
        CREATE INDEX requests_route_time ON requests(route, time);
        CREATE TABLE metric_samples (
            time REAL NOT NULL,
            name TEXT NOT NULL,
            labels TEXT NOT NULL,
            value REAL NOT NULL
        );
        CREATE INDEX metric_samples_time ON metric_samples(time);
        CREATE INDEX metric_samples_name_time ON metric_samples(name, time);
        CREATE TABLE model_events (
            time REAL NOT NULL,
            model TEXT NOT NULL,
            event TEXT NOT NULL CHECK (event IN ('load', 'reload', 'failure')),
            detail TEXT
        );
        CREATE INDEX model_events_time ON model_events(time);
        """,
        // 2: the request table keeps only its time index: queries walk it (by time range, or
        // newest first) and filter model and route as they go; two more B-trees cost the
        // writer a third of its time per row. Older builds refuse a version-2 file.
        """
        DROP INDEX requests_model_time;
        DROP INDEX requests_route_time;
        """,
        // 3: the name of the API key a request came with (never the key itself).
        """
        ALTER TABLE requests ADD COLUMN key_name TEXT;
        """,
        // 4: models load, reload and unload live. Each request row names the version of the
        // model that served it, and model events gain `unload` (SQLite cannot alter a CHECK,
        // so the small events table is copied into a new one). Older builds refuse a
        // version-4 file; older files are migrated when opened.
        """
        ALTER TABLE requests ADD COLUMN model_version TEXT;
        CREATE TABLE model_events_v3 (
            time REAL NOT NULL,
            model TEXT NOT NULL,
            event TEXT NOT NULL CHECK (event IN ('load', 'reload', 'unload', 'failure')),
            detail TEXT
        );
        INSERT INTO model_events_v3 (time, model, event, detail) SELECT time, model, event, detail FROM model_events;
        DROP TABLE model_events;
        ALTER TABLE model_events_v3 RENAME TO model_events;
        CREATE INDEX model_events_time ON model_events(time);
        """,
    ]

    /// The version a fully migrated database has.
    package static var currentVersion: Int { migrations.count }

    /// Brings `database` up to `migrations.count` in one transaction.
    /// - Returns: the versions applied now (empty if already current).
    /// - Throws: `RequestLogError.schemaTooNew` if the file is from a newer lmserve;
    ///   `SQLiteError` if a migration fails (nothing is applied then).
    @discardableResult
    package static func migrate(_ database: SQLiteDatabase, migrations: [String] = migrations) throws -> [Int] {
        try database.transaction {
            let version = Int(try database.scalarInt("PRAGMA user_version") ?? 0)
            guard version <= migrations.count else {
                throw RequestLogError.schemaTooNew(path: database.path, found: version, supported: migrations.count)
            }
            var applied: [Int] = []
            for index in version..<migrations.count {
                try database.execute(migrations[index])
                applied.append(index + 1)
            }
            if !applied.isEmpty {
                // PRAGMA takes no bound parameters; the value is our own integer.
                try database.execute("PRAGMA user_version = \(migrations.count)")
            }
            return applied
        }
    }
}
