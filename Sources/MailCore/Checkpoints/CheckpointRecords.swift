import Foundation

/// A message's identity as the checkpoint keeps it.
public struct MessageRecord: Sendable, Hashable {
    public var key: SourceKey
    public var fingerprint: Fingerprint
    public var messageID: String?
    /// Size in bytes as read from the source.
    public var size: Int
    public var internalDate: Date?
    public var flags: FlagSet

    public init(
        key: SourceKey, fingerprint: Fingerprint, messageID: String?, size: Int, internalDate: Date?, flags: FlagSet
    ) {
        self.key = key
        self.fingerprint = fingerprint
        self.messageID = messageID
        self.size = size
        self.internalDate = internalDate
        self.flags = flags
    }

    public init(_ envelope: MessageEnvelope) {
        self.init(
            key: envelope.key, fingerprint: envelope.fingerprint, messageID: envelope.messageID, size: envelope.size,
            internalDate: envelope.internalDate, flags: envelope.flags)
    }
}

/// A message the destination holds, with the sink's reference to it.
public struct DoneMessage: Sendable, Hashable {
    public var record: MessageRecord
    public var reference: String

    public init(record: MessageRecord, reference: String) {
        self.record = record
        self.reference = reference
    }
}

/// What a resumed run needs to know of a done message.
public struct DoneSummary: Sendable, Hashable {
    public var fingerprint: Fingerprint
    public var reference: String
    public var flags: FlagSet

    public init(fingerprint: Fingerprint, reference: String, flags: FlagSet) {
        self.fingerprint = fingerprint
        self.reference = reference
        self.flags = flags
    }
}

/// A message that was being written when a run stopped.
public struct PendingMessage: Sendable, Hashable {
    public var record: MessageRecord
    /// Where the sink said new messages would appear (``FolderWriter/position()``).
    public var position: String?

    public init(record: MessageRecord, position: String?) {
        self.record = record
        self.position = position
    }

    /// Pairs each message with a stored copy of the same content — each copy claimed once, in
    /// the order given — and returns the copies' references by source key.
    public static func match(
        _ messages: [PendingMessage], stored: [(fingerprint: Fingerprint, reference: String)]
    ) -> [SourceKey: String] {
        var byFingerprint: [Fingerprint: [String]] = [:]
        for copy in stored { byFingerprint[copy.fingerprint, default: []].append(copy.reference) }
        var found: [SourceKey: String] = [:]
        for message in messages {
            guard var references = byFingerprint[message.record.fingerprint], !references.isEmpty else { continue }
            found[message.record.key] = references.removeFirst()
            byFingerprint[message.record.fingerprint] = references
        }
        return found
    }
}

/// A message that could not be copied.
public struct FailedMessage: Sendable {
    public var record: MessageRecord?
    public var key: SourceKey
    public var error: MailError

    public init(key: SourceKey, record: MessageRecord?, error: MailError) {
        self.key = key
        self.record = record
        self.error = error
    }
}

/// Why a message failed, as the checkpoint keeps it.
public struct FailureSummary: Sendable, Hashable {
    public var reason: String
    public var retry: MailError.Retry

    public init(reason: String, retry: MailError.Retry) {
        self.reason = reason
        self.retry = retry
    }
}

/// New flags of an already-copied message, and its reference after the update.
public struct FlagUpdate: Sendable, Hashable {
    public var key: SourceKey
    public var flags: FlagSet
    public var reference: String

    public init(key: SourceKey, flags: FlagSet, reference: String) {
        self.key = key
        self.flags = flags
        self.reference = reference
    }
}

/// How a run ended, for `mailferry status`.
public struct RunSummary: Sendable, Hashable {
    public var finishedAt: Date
    /// `completed`, `completed-with-failures`, `stopped`.
    public var outcome: String
    public var copied: Int
    public var failed: Int
    public var skipped: Int
    /// The error that stopped the run, if one did.
    public var stoppedBy: String?

    public init(finishedAt: Date, outcome: String, copied: Int, failed: Int, skipped: Int, stoppedBy: String?) {
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.copied = copied
        self.failed = failed
        self.skipped = skipped
        self.stoppedBy = stoppedBy
    }
}
