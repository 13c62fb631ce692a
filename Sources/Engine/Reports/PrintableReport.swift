import Foundation
import MailCore

/// A report a command prints as text or JSON and may also write to a file: the copy report, the
/// verify report.
public protocol PrintableReport: Encodable {
    /// The report for people.
    var text: String { get }
}

extension PrintableReport {
    /// The report as JSON (``ReportFormat/json(_:)``).
    public func json() throws -> String { try ReportFormat.json(self) }
}

/// How MailFerry writes machine-readable output: pretty-printed JSON with sorted keys and
/// ISO 8601 dates, the same in every report.
public enum ReportFormat {
    public static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .utcISO8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// A date in reports meant for people (ISO 8601, seconds, UTC).
    public static func date(_ date: Date) -> String {
        CivilDate.iso8601Text(date)
    }
}
