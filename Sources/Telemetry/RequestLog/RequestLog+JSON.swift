import Foundation

/// JSON for request rows and stats: the shape `lmserve logs --json`, `lmserve stats --json` and
/// `GET /admin/requests` share. Keys are the column names; non-finite numbers become strings
/// ("inf", "-inf", "nan"); absent optional fields are omitted.
package enum RequestLogJSON {
    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    /// One record as a single-line JSON object.
    package static func line(_ record: RequestRecord) -> String {
        // Encoding plain values with a non-conforming-float strategy cannot fail.
        String(decoding: (try? makeEncoder().encode(record)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// One record as a single-line JSON object with an `instance` key added (`lmserve logs`
    /// over several replicas' logs).
    package static func line(_ record: RequestRecord, instance: String) -> String {
        String(decoding: (try? makeEncoder().encode(Tagged(record: record, instance: instance))) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// A record's keys plus `instance`, in one object.
    private struct Tagged: Encodable {
        var record: RequestRecord
        var instance: String
        enum Key: String, CodingKey { case instance }
        func encode(to encoder: any Encoder) throws {
            try record.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(instance, forKey: .instance)
        }
    }

    /// Records as a JSON array (the `GET /admin/requests` body).
    package static func array(_ records: [RequestRecord]) -> Data {
        (try? makeEncoder().encode(records)) ?? Data("[]".utf8)
    }

    /// Stats as one JSON object.
    package static func stats(_ stats: RequestStats) -> Data {
        (try? makeEncoder().encode(stats)) ?? Data("{}".utf8)
    }

    /// Decodes a record from one JSON line (for tests and tools).
    package static func decodeRecord(_ line: String) throws -> RequestRecord {
        try JSONDecoder().decode(RequestRecord.self, from: Data(line.utf8))
    }
}
