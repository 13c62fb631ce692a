/// An error from anywhere in a copy run, graded the way isync grades outcomes:
/// by how much of the run it affects (``Scope``) and by whether trying again can help (``Retry``).
///
/// Every error names what it is about — the folder, the message (key and number), the file and line —
/// so a user can find the offending mail without a debugger. Build one with the static factories
/// (`MailError.malformedMessage(...)`), which pick the scope and retry class that fit.
public struct MailError: Error, Sendable, Hashable, CustomStringConvertible {
    /// How much of the run the error takes down.
    public enum Scope: String, Sendable, Codable, Hashable {
        /// One message is skipped and listed; the folder goes on.
        case message
        /// One folder is skipped and listed; the store goes on.
        case folder
        /// The store cannot be used; the run stops.
        case store
    }

    /// Whether repeating the operation can succeed.
    public enum Retry: String, Sendable, Codable, Hashable {
        /// A transient condition (a dropped connection, a busy lock): retry right away.
        case now
        /// A condition that may clear with time or action (full disk, quota, throttling).
        case later
        /// The input itself is bad: retrying gives the same answer.
        case never
    }

    /// What went wrong, as a stable machine-readable code (it appears in JSON reports).
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let malformedMessage = Code(rawValue: "malformed-message")
        public static let truncatedMessage = Code(rawValue: "truncated-message")
        public static let unreadable = Code(rawValue: "unreadable")
        public static let unwritable = Code(rawValue: "unwritable")
        public static let notFound = Code(rawValue: "not-found")
        public static let notAMailbox = Code(rawValue: "not-a-mailbox")
        public static let invalidFolderName = Code(rawValue: "invalid-folder-name")
        public static let unsafePath = Code(rawValue: "unsafe-path")
        public static let locked = Code(rawValue: "locked")
        public static let interruptedWrite = Code(rawValue: "interrupted-write")
        public static let noSpace = Code(rawValue: "no-space")
        public static let tooLarge = Code(rawValue: "too-large")
        public static let limitExceeded = Code(rawValue: "limit-exceeded")
        public static let compression = Code(rawValue: "compression")
        public static let unsupported = Code(rawValue: "unsupported")
        public static let invalidEndpoint = Code(rawValue: "invalid-endpoint")
        /// The checkpoint database is missing, damaged, or belongs to another job.
        public static let checkpoint = Code(rawValue: "checkpoint")
        /// A source folder lost most of its messages since the last run (a safety stop).
        public static let sourceShrank = Code(rawValue: "source-shrank")
        public static let internalError = Code(rawValue: "internal")
        /// An archive that could write outside its place or exhaust memory or disk (absolute or
        /// `..` member names, links, devices, repeated names, a compression-ratio bomb).
        public static let unsafeArchive = Code(rawValue: "unsafe-archive")
        /// An archive member does not match its manifest (hash, size, missing or extra).
        public static let verificationFailed = Code(rawValue: "verification-failed")
    }

    public var code: Code
    public var scope: Scope
    public var retry: Retry
    /// One sentence for a human: what happened, in the user's terms.
    public var summary: String
    /// The folder concerned, if any.
    public var folder: FolderPath?
    /// The message's key in its store (file name, mbox offset, UID), if any.
    public var messageKey: String?
    /// The message's 1-based position in its folder as read, if known.
    public var messageNumber: Int?
    /// The file concerned, if any.
    public var path: String?
    /// The 1-based line number within `path`, if known.
    public var line: Int?
    /// The operating system's error number, if the error came from a system call.
    public var errno: Int32?
    /// For a message a destination refused for its bytes (an IMAP `NO [PARSE]`, bytes the wire
    /// cannot carry): the repairs that may make it acceptable — empty for "whatever the message
    /// needs", `[.nul]` for NULs alone. `nil` when no repair can help (a size limit, a quota).
    /// The engine repairs such a message and sends it once more unless told `--repair=never`.
    public var repairs: Set<RepairKind>?

    public init(
        _ code: Code, scope: Scope, retry: Retry, _ summary: String,
        folder: FolderPath? = nil, messageKey: String? = nil, messageNumber: Int? = nil,
        path: String? = nil, line: Int? = nil, errno: Int32? = nil
    ) {
        self.code = code
        self.scope = scope
        self.retry = retry
        self.summary = summary
        self.folder = folder
        self.messageKey = messageKey
        self.messageNumber = messageNumber
        self.path = path
        self.line = line
        self.errno = errno
    }

    /// The summary followed by where it happened, e.g.
    /// `message 3 has no header section (file /m/old.mbox, line 41)`.
    public var description: String {
        var context: [String] = []
        if let folder { context.append("folder \(folder.displayName)") }
        if let messageNumber { context.append("message \(messageNumber)") }
        if let messageKey { context.append("key \(messageKey)") }
        if let path { context.append("file \(path)") }
        if let line { context.append("line \(line)") }
        return context.isEmpty ? summary : "\(summary) (\(context.joined(separator: ", ")))"
    }

    /// Returns a copy with the folder filled in when it was not set yet.
    public func inFolder(_ folder: FolderPath) -> MailError {
        var copy = self
        if copy.folder == nil { copy.folder = folder }
        return copy
    }

    /// Returns a copy with the scope widened or narrowed, e.g. a file error that only affects one message.
    public func withScope(_ scope: Scope) -> MailError {
        var copy = self
        copy.scope = scope
        return copy
    }
}

extension MailError {
    /// A message that cannot be parsed; it is skipped and listed.
    public static func malformedMessage(
        _ summary: String, key: String? = nil, number: Int? = nil, path: String? = nil, line: Int? = nil
    ) -> MailError {
        MailError(
            .malformedMessage, scope: .message, retry: .never, summary,
            messageKey: key, messageNumber: number, path: path, line: line)
    }

    /// A message cut short by the end of its file or stream.
    public static func truncatedMessage(
        _ summary: String, key: String? = nil, number: Int? = nil, path: String? = nil, line: Int? = nil
    ) -> MailError {
        MailError(
            .truncatedMessage, scope: .message, retry: .never, summary,
            messageKey: key, messageNumber: number, path: path, line: line)
    }

    /// A store that cannot be opened or used at all.
    public static func store(_ code: Code, _ summary: String, path: String? = nil, errno: Int32? = nil) -> MailError {
        MailError(code, scope: .store, retry: .never, summary, path: path, errno: errno)
    }

    /// A folder that cannot be read or written.
    public static func folder(
        _ code: Code, _ summary: String, folder: FolderPath? = nil, path: String? = nil, errno: Int32? = nil,
        retry: Retry = .never
    ) -> MailError {
        MailError(code, scope: .folder, retry: retry, summary, folder: folder, path: path, errno: errno)
    }

    /// A limit (line length, header size, entry count) that input exceeded.
    public static func limitExceeded(
        _ what: String, actual: Int, maximum: Int, scope: Scope = .message, path: String? = nil
    ) -> MailError {
        MailError(
            .limitExceeded, scope: scope, retry: .never, "\(what) is \(actual) bytes, over the limit of \(maximum)",
            path: path)
    }
}
