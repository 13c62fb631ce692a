import Foundation
import MailCore
/// How a copy run behaves; every default is stated.
public struct CopyOptions: Sendable {
    /// Folder selection and mapping.
    public var planner = CopyPlanner()
    /// Only plan: list folders, counts and bytes; write nothing.
    public var dryRun = false
    /// For a dry run: the job's checkpoint, read-only, so the plan leaves out what earlier runs
    /// copied (and says "nothing to do" for a finished job).
    public var preview: (any CheckpointPreview)?
    /// Bytes of messages that may wait between sources and sinks, for the whole run (folders
    /// copied at once share it; each gets at least 1 MiB). Default 4 MiB.
    public var bufferBudget = 4 << 20
    /// Most messages handed to the sink at once (one durability point per batch). Default 64.
    public var batchMessages = 64
    /// Most bytes handed to a sink at once, for the whole run (shared like the buffer). Default 2 MiB.
    public var batchBytes = 2 << 20
    /// Most folders copied at once; the stores' own limits apply too. Default 4.
    public var maximumConcurrency = 4
    /// What a rerun does beyond copying what is new.
    public var resume = ResumeOptions()
    /// Delete messages from the source once their copies are confirmed (needs a checkpoint and
    /// a source that can: POP3). `nil`, the default, leaves the source untouched.
    public var removal: SourceRemovalPolicy?
    /// Which messages to copy at all (`nil`, the default: every one). Messages left out are
    /// not recorded, so a later run with a later cutoff takes them.
    public var filter: MessageFilter?
    /// Stored bytes per second for the whole run (`--max-bytes-per-second`); `nil`: no cap.
    public var maximumBytesPerSecond: Int?
    /// Transforms applied in order to every message stored (`--add-header`); repair comes after them.
    public var transforms: [any MessageTransform] = []
    /// When to repair what the sink may refuse (``StoreCapabilities/requiredRepairs``; IMAP):
    /// by default only a message the destination refused, or bytes its wire cannot carry
    /// (`--repair=on-refusal|always|never`).
    public var repairMode = RepairMode.onRefusal
    /// Repairs made before sending whatever the server says, because the destination's provider
    /// profile declares that it refuses or mangles such bytes (`[repair] before_sending`).
    public var preemptiveRepairs: Set<RepairKind> = []
    /// Whether any repair is allowed: `false` is `--repair=never` (`--no-repair`), `true` the
    /// default, repair on refusal.
    public var repair: Bool {
        get { repairMode != .never }
        set { repairMode = newValue ? .onRefusal : .never }
    }
    /// Largest message to send (with CRLF line endings), from `--max-message-size` or a provider
    /// profile; a larger one goes to the quarantine instead. The sink's own limit applies too.
    public var maximumMessageSize: Int?
    /// Where messages the destination refuses for good go (`--quarantine`); `nil`: they are
    /// only listed as failed.
    public var quarantine: (any QuarantineStore)?
    /// The stall watchdog: a folder that reads and stores nothing for this many seconds (outside
    /// the pauses in ``pauses``) stops the run (`--stall-timeout`; see `StallWatch`). `nil`: off.
    /// Default 300.
    public var stallTimeout: Double? = 300
    /// Pauses the stores announced (a server's back-off, a used-up daily budget).
    public var pauses: DeliberatePauses?

    public init() {}
}

/// Which copied messages to delete from the source after a folder was copied. Only messages the
/// checkpoint records as done — the sink confirmed them durable — are ever candidates.
public struct SourceRemovalPolicy: Sendable {
    /// Keep messages that arrived on or after this date (`--delete-older-than`); `nil` deletes
    /// every copied message (`--delete-after-copy`).
    public var olderThan: Date?
    /// An IMAP source without UIDPLUS may expunge the whole folder's `\\Deleted` messages
    /// (`--force-expunge`).
    public var allowsPlainExpunge = false

    public init(olderThan: Date? = nil, allowsPlainExpunge: Bool = false) {
        self.olderThan = olderThan
        self.allowsPlainExpunge = allowsPlainExpunge
    }
}

/// Rerun behaviour; it needs a checkpoint, except `dedup`.
public struct ResumeOptions: Sendable {
    /// Apply flag and keyword changes made on the source to messages copied by earlier runs.
    public var syncFlags = false
    /// Skip a message whose identity the destination folder already holds, however it got there.
    public var dedup = false
    /// Copy only the messages that failed in earlier runs, including permanent failures.
    public var retryFailed = false
    /// Go on with a folder that lost most of its messages since the last run (see
    /// ``shrinkThreshold``) instead of stopping it.
    public var allowShrink = false
    /// A folder that had at least ``shrinkMinimum`` messages and now lists fewer than this
    /// fraction of them is stopped for safety.
    public var shrinkThreshold = 0.1
    public var shrinkMinimum = 10
    /// Called at every checkpoint step; the fault harness ends the process there.
    public var faultPoint: (@Sendable (FaultPoint) -> Void)?

    public init() {}
}

/// A step of the checkpoint protocol, where a crash must be survivable.
public enum FaultPoint: String, Sendable, CaseIterable {
    /// A batch is marked in flight; the sink has not seen it.
    case afterInFlight = "after-in-flight"
    /// The sink confirmed the batch; the checkpoint does not know yet.
    case afterStore = "after-store"
    /// The batch is marked done.
    case afterDone = "after-done"
    /// The destination refused messages of the batch that a repair may help; the repaired
    /// messages are not marked in flight yet (their rows still hold the bytes first sent).
    case afterRefusal = "after-refusal"
    /// A folder's state (tokens, validities) is saved.
    case afterFolder = "after-folder"
    /// A sink durable only on close (an archive) completed; the checkpoint does not know yet.
    case afterSinkClose = "after-sink-close"
    /// The checkpoint recorded that close; nothing was deleted from the source yet.
    case afterCommit = "after-commit"
}
