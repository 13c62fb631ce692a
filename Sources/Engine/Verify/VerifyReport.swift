import Foundation
import MailCore

/// What `mailferry verify` found, per destination folder: the messages missing from the
/// destination, those it holds more often than the source, those only it holds, and messages
/// whose flags, keywords or arrival dates differ — as text (``text``) and JSON.
public struct VerifyReport: Sendable, Codable, PrintableReport {
    /// A message as the report names it.
    public struct Message: Sendable, Codable, Hashable {
        public var folder: String
        public var key: String
        public var messageID: String?
    }

    /// A message present on both sides whose flags or date differ.
    public struct Difference: Sendable, Codable {
        public var source: Message
        public var destination: Message
        public var sourceFlags: String?
        public var destinationFlags: String?
        public var sourceDate: Date?
        public var destinationDate: Date?
    }

    public struct Folder: Sendable, Codable {
        public var sources: [String]
        public var destination: String
        public var sourceMessages = 0
        public var destinationMessages = 0
        /// Source messages that could not be read (not compared).
        public var unreadable = 0
        public var matched = 0
        public var missingCount = 0
        public var duplicatedCount = 0
        public var extraCount = 0
        public var flagDifferenceCount = 0
        public var dateDifferenceCount = 0
        /// Source messages not in this destination folder but in another one, for a source whose
        /// keys span folders (a Gmail message relabelled after it was copied): not missing.
        public var elsewhereCount = 0
        /// The first ``VerifyReport/listLimit`` of each kind.
        public var missing: [Message] = []
        public var duplicated: [Message] = []
        public var extra: [Message] = []
        public var flagDifferences: [Difference] = []
        public var dateDifferences: [Difference] = []
        public var error: String?

        /// Whether the folder matches (extra messages count only when `exact`).
        public func matches(exact: Bool) -> Bool {
            error == nil && missingCount == 0 && duplicatedCount == 0 && flagDifferenceCount == 0
                && dateDifferenceCount == 0 && (!exact || extraCount == 0)
        }
    }

    public static let listLimit = 1_000

    public var tool = "mailferry"
    public var version = MailFerryVersion.current
    public var source: String
    public var destination: String
    /// Whether messages only the destination holds count as a difference.
    public var exact: Bool
    /// What was compared, given what the two stores can hold.
    public var compared: [String] = []
    public var folders: [Folder] = []
    public var notes: [String] = []
    /// Selected source folders the plan leaves out (see ``SkippedFolder``): not compared, so
    /// the verification does not match.
    public var skippedFolders: [SkippedFolder] = []
    /// The error that stopped the verification, if any.
    public var stoppedBy: String?
    public var seconds: Double = 0

    public init(source: String, destination: String, exact: Bool) {
        self.source = source
        self.destination = destination
        self.exact = exact
    }

    public var matches: Bool {
        stoppedBy == nil && skippedFolders.isEmpty && folders.allSatisfy { $0.matches(exact: exact) }
    }

    public var text: String {
        var lines = ["Verify: \(source) → \(destination)", "Compared: \(compared.joined(separator: ", "))"]
        for folder in folders {
            var line = "  \(folder.sources.joined(separator: ", ")) → \(folder.destination): "
            if let error = folder.error {
                line += "not compared [\(error)]"
            } else if folder.matches(exact: exact) {
                line += "match (\(folder.matched) messages\(folder.extraCount > 0 ? ", \(folder.extraCount) only in the destination" : "")"
                    + (folder.elsewhereCount > 0 ? ", \(folder.elsewhereCount) in another folder, relabelled since the copy" : "") + ")"
            } else {
                var parts: [String] = []
                if folder.missingCount > 0 { parts.append("\(folder.missingCount) missing") }
                if folder.duplicatedCount > 0 { parts.append("\(folder.duplicatedCount) duplicated") }
                if folder.extraCount > 0 { parts.append("\(folder.extraCount) only in the destination") }
                if folder.flagDifferenceCount > 0 { parts.append("flags differ on \(folder.flagDifferenceCount)") }
                if folder.dateDifferenceCount > 0 { parts.append("dates differ on \(folder.dateDifferenceCount)") }
                line += "DIFFERENT: " + parts.joined(separator: ", ") + " (\(folder.matched) match)"
            }
            if folder.unreadable > 0 { line += "; \(folder.unreadable) unreadable in the source" }
            lines.append(line)
            for message in folder.missing.prefix(20) { lines.append("      missing: \(Self.describe(message))") }
            for message in folder.duplicated.prefix(20) { lines.append("      duplicated: \(Self.describe(message))") }
            if exact { for message in folder.extra.prefix(20) { lines.append("      only in the destination: \(Self.describe(message))") } }
            for difference in folder.flagDifferences.prefix(20) {
                lines.append(
                    "      flags: \(Self.describe(difference.source)) has (\(difference.sourceFlags ?? "")), "
                        + "the destination (\(difference.destinationFlags ?? ""))")
            }
            for difference in folder.dateDifferences.prefix(20) {
                lines.append(
                    "      date: \(Self.describe(difference.source)) arrived \(difference.sourceDate.map(ReportFormat.date) ?? "?"), "
                        + "the destination says \(difference.destinationDate.map(ReportFormat.date) ?? "?")")
            }
        }
        if !skippedFolders.isEmpty {
            lines.append("Folders not compared (\(skippedFolders.count)):")
            lines += skippedFolders.map { "  \($0.folder): \($0.reason)" }
        }
        lines += notes.map { "Note: \($0)" }
        if let stoppedBy { lines.append("Stopped: \(stoppedBy)") }
        let total = folders.reduce(0) { $0 + $1.matched }
        lines.append(
            matches
                ? "The destination matches the source: \(total) messages in \(folders.count) folder(s) (\(String(format: "%.2f", seconds)) s)."
                : "The destination does NOT match the source (\(String(format: "%.2f", seconds)) s).")
        return lines.joined(separator: "\n")
    }

    static func describe(_ message: Message) -> String {
        "\(message.folder) \(message.key)" + (message.messageID.map { " \($0)" } ?? "")
    }

}
