import Foundation
import MailCore

/// What a copy run did, for people (``text``) and for programs (JSON via `Codable`).
public struct CopyReport: Sendable, Codable, PrintableReport {
    /// How the run ended, from best to worst; the CLI turns it into an exit code.
    public enum Outcome: String, Sendable, Codable {
        /// Every selected message was copied (or, in a dry run, planned).
        case complete
        /// Some messages or folders failed; they are listed.
        case partial
        /// A store failed and the run stopped.
        case stopped
        /// Nothing was done: a store or the checkpoint could not be opened (``stoppedBy`` says why).
        case failed
    }

    public struct FolderReport: Sendable, Codable {
        public var source: String
        public var destination: String
        /// Where the source folder lives (file or directory).
        public var sourceLocation: String?
        /// Where it was written.
        public var destinationLocation: String?
        public var copied = 0
        public var failed = 0
        public var bytes = 0
        /// Messages earlier runs copied (per the checkpoint), not read again.
        public var skipped = 0
        /// Messages not copied because the destination already held them (`--dedup`, or a
        /// destination folder that was replaced).
        public var deduplicated = 0
        /// Messages a stopped run was writing that turned out to be in the destination.
        public var inFlightFound = 0
        /// Messages whose flags were updated in the destination (`--sync-flags`).
        public var flagsUpdated = 0
        /// Copied messages deleted from the source (`--delete-after-copy`, `--delete-older-than`).
        public var removedFromSource = 0
        /// Messages left out by the message filter (`--older-than`, `--before`, unread, flagged).
        public var filtered = 0
        /// Messages stored with changed bytes (repaired, a header added); listed in ``CopyReport/modified``.
        public var modified = 0
        /// Messages the destination refused that went to the quarantine.
        public var quarantined = 0
        /// The checkpoint showed nothing new in this folder, so it was not read.
        public var upToDate = false
        /// In a dry run: messages and bytes that would be copied.
        public var plannedMessages: Int?
        public var plannedBytes: Int?
        /// Why the folder could not be copied (or only partly).
        public var error: String?
    }

    /// One problem, with everything needed to find the message.
    public struct Problem: Sendable, Codable {
        public var scope: MailError.Scope
        public var code: String
        public var retry: MailError.Retry
        public var reason: String
        public var folder: String?
        public var message: Int?
        public var key: String?
        public var file: String?
        public var line: Int?

        public init(_ error: MailError, folder: FolderPath? = nil) {
            scope = error.scope
            code = error.code.rawValue
            retry = error.retry
            reason = error.summary
            self.folder = (error.folder ?? folder)?.displayName
            message = error.messageNumber
            key = error.messageKey
            file = error.path
            line = error.line
        }

        /// One line: `INBOX: message 3 (file old.mbox, line 41): message has no header section`.
        public var text: String {
            var subject: [String] = []
            if let folder { subject.append(folder) }
            if let message {
                subject.append("message \(message)")
            } else if let key {
                subject.append("message \(key)")
            }
            var location: [String] = []
            if let file { location.append("file \(file)") }
            if let line { location.append("line \(line)") }
            var head = subject.joined(separator: ": ")
            if !location.isEmpty { head += head.isEmpty ? location.joined(separator: ", ") : " (\(location.joined(separator: ", ")))" }
            return head.isEmpty ? reason : "\(head): \(reason)"
        }
    }

    /// A file the run completed: an archive volume, verified and given its final name.
    public struct WrittenFile: Sendable, Codable {
        public var path: String
        public var messages: Int
        /// The messages' bytes.
        public var bytes: Int
        /// The file's size.
        public var fileBytes: Int

        public init(path: String, messages: Int, bytes: Int, fileBytes: Int) {
            self.path = path
            self.messages = messages
            self.bytes = bytes
            self.fileBytes = fileBytes
        }
    }

    /// A message stored with bytes that differ from the source's, and why.
    public struct ModifiedMessage: Sendable, Codable {
        public var folder: String
        public var message: Int?
        public var key: String
        public var messageID: String?
        /// What the transforms changed ("NUL bytes removed", "X-Migrated-From added").
        public var changes: [String]
        /// What they noticed and left ("2 body lines over 998 bytes sent as they are").
        public var notes: [String]
        /// The destination's words when it refused the message as it was, and the repair in
        /// `changes` was made for that refusal (`--repair=on-refusal`, the default).
        public var refusal: String? = nil
    }

    /// A message the destination refused, kept in the quarantine.
    public struct QuarantinedMessage: Sendable, Codable {
        public var folder: String
        public var message: Int?
        public var key: String
        public var messageID: String?
        public var size: Int
        /// The destination's (or the size limit's) reason.
        public var reason: String
        /// Where the quarantine holds it.
        public var file: String
    }

    /// Flags the destination could not keep.
    public struct Loss: Sendable, Codable {
        public var folder: String
        public var flag: String
        public var messages: Int
    }

    public struct Totals: Sendable, Codable {
        public var folders = 0
        public var copied = 0
        public var failed = 0
        public var bytes = 0
        public var warnings = 0
        public var skipped = 0
        public var deduplicated = 0
        public var flagsUpdated = 0
        public var removedFromSource = 0
        public var filtered = 0
        public var modified = 0
        public var quarantined = 0
    }

    public var tool = "mailferry"
    public var version: String
    public var source: String
    public var destination: String
    public var dryRun: Bool
    /// The checkpoint database, when the run kept one.
    public var checkpoint: String?
    public var startedAt: Date
    public var seconds: Double = 0
    public var outcome: Outcome = .complete
    public var folders: [FolderReport] = []
    public var failures: [Problem] = []
    public var warnings: [Problem] = []
    public var losses: [Loss] = []
    public var notes: [String] = []
    /// Selected folders the run did not copy, with why (a profile's skip list); any makes the
    /// run `partial`.
    public var skippedFolders: [SkippedFolder] = []
    public var totals = Totals()
    /// Messages stored with changed bytes (every one, in order).
    public var modified: [ModifiedMessage] = []
    /// The quarantine (`--quarantine`), when the run had one, and what went there.
    public var quarantine: String?
    public var quarantined: [QuarantinedMessage] = []
    /// Files the run wrote as a whole (an archive volume), when the destination is one.
    public var writtenFiles: [WrittenFile] = []
    /// The error that stopped the run, when ``outcome`` is `.stopped`.
    public var stoppedBy: Problem?

    public init(version: String, source: String, destination: String, dryRun: Bool, startedAt: Date) {
        self.version = version
        self.source = source
        self.destination = destination
        self.dryRun = dryRun
        self.startedAt = startedAt
    }

    /// Nothing was copied, failed or updated, and no folder failed: the destination was up to date.
    public var nothingToDo: Bool {
        !dryRun && stoppedBy == nil && failures.isEmpty && totals.copied == 0 && totals.flagsUpdated == 0
            && totals.deduplicated == 0 && totals.removedFromSource == 0
    }

    mutating func finish(at end: Date) {
        seconds = end.timeIntervalSince(startedAt)
        totals.folders = folders.count
        totals.copied = folders.reduce(0) { $0 + $1.copied }
        totals.bytes = folders.reduce(0) { $0 + $1.bytes }
        totals.skipped = folders.reduce(0) { $0 + $1.skipped }
        totals.deduplicated = folders.reduce(0) { $0 + $1.deduplicated }
        totals.flagsUpdated = folders.reduce(0) { $0 + $1.flagsUpdated }
        totals.removedFromSource = folders.reduce(0) { $0 + $1.removedFromSource }
        totals.filtered = folders.reduce(0) { $0 + $1.filtered }
        totals.modified = folders.reduce(0) { $0 + $1.modified }
        totals.quarantined = folders.reduce(0) { $0 + $1.quarantined }
        totals.failed = failures.filter { $0.scope == .message }.count
        totals.warnings = warnings.count
        if stoppedBy != nil {
            outcome = .stopped
        } else if !failures.isEmpty || !skippedFolders.isEmpty {
            outcome = .partial
        } else {
            outcome = .complete
        }
    }
}
