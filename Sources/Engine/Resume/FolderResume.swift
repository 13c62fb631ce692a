import Foundation
import MailCore

/// One folder's part of a checkpointed run: what earlier runs left, what to do about it before
/// copying (safety stop, replaced folders, in-flight messages, duplicates), which messages to
/// read, what to do with each, and the checkpoint writes around every batch.
///
/// Owned by the folder's copy task; it writes the checkpoint in the order that makes a crash at
/// any point recoverable: in flight (durably) → sink → done.
final class FolderResume {
    let checkpoint: any CheckpointStore
    let source: FolderInfo
    let options: ResumeOptions
    private(set) var folder: FolderCheckpoint
    /// State as it will be saved when the folder finishes.
    var state: FolderState

    /// The source folder was replaced since the last run (its UIDVALIDITY changed): keys are stale.
    private(set) var sourceReplaced = false
    /// The destination folder was replaced: what the checkpoint says it holds may be gone.
    private(set) var destinationReplaced = false
    /// Stored messages of the destination, when messages must be matched by identity.
    private var identities: IdentityIndex?
    /// Done rows by fingerprint, for matching messages whose keys changed; built when needed.
    private var rematchPool: [Fingerprint: [SourceKey]]?
    private var seenKeys = Set<SourceKey>()
    /// Keys done in the job's other folders, for a source whose keys span folders.
    private var doneElsewhere = Set<SourceKey>()
    private var hadDoneRows: Bool
    /// The destination folder's writer, for its identity when the folder finishes (an mbox file
    /// or an archive volume has one only once written).
    private var writer: (any FolderWriter)?

    // Counters for the report.
    private(set) var deduplicated = 0
    private(set) var inFlightFound = 0
    private(set) var inFlightResent = 0
    private(set) var notes: [String] = []

    /// What to do with one message the source yielded.
    enum Decision {
        case copy
        /// Already in the destination (copied by an earlier run, possibly under another key).
        case alreadyCopied
        /// Left out by the selection, which this source does not apply itself (already counted).
        case notSelected
        /// The destination holds a message with the same identity.
        case duplicate(reference: String)
    }

    private init(checkpoint: any CheckpointStore, source: FolderInfo, options: ResumeOptions, folder: FolderCheckpoint) {
        self.checkpoint = checkpoint
        self.source = source
        self.options = options
        self.folder = folder
        self.state = folder.state
        self.hadDoneRows = !folder.done.isEmpty
    }

    static func load(
        checkpoint: any CheckpointStore, entry: CopyPlan.Entry, options: ResumeOptions
    ) async throws -> FolderResume {
        let folder = try await checkpoint.folder(source: entry.source.path, destination: entry.destination)
        return FolderResume(checkpoint: checkpoint, source: entry.source, options: options, folder: folder)
    }

    /// For a source whose keys name a message in all its folders: messages the job copied from
    /// another folder (a Gmail message whose labels changed) are not copied again here.
    /// Only keys with `prefix` span folders (Gmail's Spam and Trash keep per-folder keys).
    func excludeDoneElsewhere(prefix: String) async throws {
        doneElsewhere = try await checkpoint.doneKeys(outside: folder.id).filter { $0.value.hasPrefix(prefix) }
            .subtracting(folder.done.keys)
    }

    /// Stops a folder that lost most of its messages since the last run, unless allowed.
    func checkShrink() throws {
        guard !options.allowShrink, let last = folder.state.lastMessageCount, last >= options.shrinkMinimum,
            let now = source.messageCount, Double(now) < Double(last) * options.shrinkThreshold
        else { return }
        throw MailError(
            .sourceShrank, scope: .folder, retry: .never,
            "the source folder held \(last) messages at the last run and lists \(now) now; stopped for safety "
                + "(nothing was changed). If that is expected, run again with --allow-shrink",
            folder: source.path)
    }

    /// Compares validities, resolves in-flight messages against the destination, and prepares
    /// identity matching. Call once, with the folder's writer open.
    func prepare(writer: any FolderWriter) async throws {
        state.sourceValidity = source.validity
        let destinationValidity = writer.validity
        if let before = folder.state.sourceValidity, let now = source.validity, before != now {
            sourceReplaced = true
            rematchPool = pool(excluding: [])
            notes.append(
                "the source folder was replaced (UIDVALIDITY \(before) → \(now)): its messages are matched by content "
                    + "with the \(folder.done.count) copied before; none is copied twice")
        }
        // A destination deleted or replaced since the last run (its identity changed): what the
        // checkpoint says it holds may be gone, so the record goes and every message is matched
        // against what the folder holds now, as for an IMAP folder with a new UIDVALIDITY.
        if let before = folder.state.destinationValidity, let now = destinationValidity,
            !writer.isSameFolder(recorded: before)
        {
            destinationReplaced = true
            let dropped = try await checkpoint.dropMessages(folder: folder.id)
            folder.done = [:]
            folder.inFlight = []
            folder.failed = [:]
            rematchPool = nil
            hadDoneRows = false
            notes.append(
                "the destination folder was replaced or deleted since the last run (\(before) → \(now)): the record of "
                    + "\(dropped) copied message(s) was dropped, and every message is matched against what "
                    + "\(writer.location) holds now and copied again when it is not there")
        }
        state.destinationValidity = destinationValidity
        self.writer = writer
        if !folder.inFlight.isEmpty {
            let pending = folder.inFlight
            // A stored message recorded as done is another message's, even when it has the same bytes.
            let found = try await writer.locate(pending, excluding: Set(folder.done.values.map(\.reference)))
            var done: [DoneMessage] = []
            var missing: [SourceKey] = []
            for message in pending {
                if let reference = found[message.record.key] {
                    done.append(DoneMessage(record: message.record, reference: reference))
                    folder.done[message.record.key] = DoneSummary(
                        fingerprint: message.record.fingerprint, reference: reference, flags: message.record.flags)
                } else {
                    missing.append(message.record.key)
                }
            }
            try await checkpoint.markDone(done, folder: folder.id)
            try await checkpoint.forget(missing, folder: folder.id)
            inFlightFound = done.count
            inFlightResent = missing.count
            folder.inFlight = []
            notes.append(
                "\(pending.count) message(s) were being written when the last run stopped: \(done.count) found in the "
                    + "destination, \(missing.count) to send again")
        }
        if options.dedup || destinationReplaced {
            identities = IdentityIndex(try await writer.existingMessages())
        }
    }

    /// Whether a folder can be passed over without loading its rows or opening the destination
    /// folder: the source listing and the destination listing (`destination`, when the sink
    /// lists a validity) both show what the last complete run recorded, nothing is in flight or
    /// retryable, and, with `--sync-flags`, the source's flag token (HIGHESTMODSEQ) has not moved.
    static func isUnchanged(
        _ overview: FolderOverview, source: FolderInfo, destination: FolderInfo?, options: ResumeOptions
    ) -> Bool {
        guard !options.retryFailed, overview.inFlight == 0, overview.retryableFailures == 0,
            let recorded = overview.state.destinationValidity, recorded == destination?.validity,
            let validity = source.validity, validity == overview.state.sourceValidity,
            let token = source.contentToken, token == overview.state.contentToken
        else { return false }
        if options.syncFlags {
            guard let flags = source.flagToken, flags == overview.state.flagToken else { return false }
        }
        return true
    }

    /// Nothing to copy: the source is as it was at the end of the last complete run, nothing is
    /// in flight or waiting for a retry, and neither folder was replaced.
    var isUpToDate: Bool {
        guard !options.retryFailed, !sourceReplaced, !destinationReplaced, inFlightResent == 0,
            let token = source.contentToken, token == folder.state.contentToken
        else { return false }
        return !folder.failed.values.contains { $0.retry != .never }
    }

    /// Which messages to read: all but those done (and permanently failed); or, for
    /// `--retry-failed`, only the failed ones.
    var selection: MessageSelection {
        if options.retryFailed { return MessageSelection(only: Set(folder.failed.keys)) }
        if sourceReplaced { return .all }
        var skipping = Set(folder.done.keys).union(doneElsewhere)
        for (key, failure) in folder.failed where failure.retry == .never { skipping.insert(key) }
        return MessageSelection(skipping: skipping)
    }

    /// Messages that failed for good in earlier runs (not retried without `--retry-failed`).
    var permanentFailures: Int { folder.failed.values.filter { $0.retry == .never }.count }

    /// How many messages the selection leaves out (for the progress total).
    var skippedBySelection: Int {
        if options.retryFailed { return max(0, (source.messageCount ?? 0) - folder.failed.count) }
        if sourceReplaced { return 0 }
        return folder.done.count + folder.failed.values.filter { $0.retry == .never }.count + doneElsewhere.count
    }

    /// Decides what to do with a message the source yielded; `identity` is the message as the
    /// destination would hold it (transformed), for `--dedup`.
    func decide(_ envelope: MessageEnvelope, identity: MessageEnvelope? = nil) throws -> Decision {
        let key = envelope.key
        if !isSelected(key) {
            // A source that yields everything (mbox): the key says done — if the content agrees.
            if let done = folder.done[key] {
                if done.fingerprint == envelope.fingerprint {
                    seenKeys.insert(key)
                    return .notSelected
                }
                // The key now names another message (the file was rewritten): match by content.
                if rematchPool == nil {
                    rematchPool = pool(excluding: seenKeys)
                    notes.append("the source folder changed since the last run (a message key now names other content): messages are matched by content")
                }
            } else {
                return .notSelected  // a permanent failure, or not selected for a retry
            }
        }
        if rematchPool != nil, let old = claimFromPool(envelope.fingerprint) {
            if old != key {
                pendingRekeys.append((old: old, new: key))
                if let summary = folder.done.removeValue(forKey: old) { folder.done[key] = summary }
            }
            seenKeys.insert(key)
            return .alreadyCopied
        }
        if identities != nil, let reference = try identities?.claim(identity ?? envelope) {
            deduplicated += 1
            return .duplicate(reference: reference)
        }
        return .copy
    }

    private var pendingRekeys: [(old: SourceKey, new: SourceKey)] = []

    private func isSelected(_ key: SourceKey) -> Bool {
        if options.retryFailed { return folder.failed[key] != nil }
        if sourceReplaced { return true }
        if folder.done[key] != nil || doneElsewhere.contains(key) { return false }
        if let failure = folder.failed[key], failure.retry == .never { return false }
        return true
    }

    private func pool(excluding keys: Set<SourceKey>) -> [Fingerprint: [SourceKey]] {
        var pool: [Fingerprint: [SourceKey]] = [:]
        for (key, done) in folder.done where !keys.contains(key) { pool[done.fingerprint, default: []].append(key) }
        return pool
    }

    private func claimFromPool(_ fingerprint: Fingerprint) -> SourceKey? {
        guard var keys = rematchPool?[fingerprint], !keys.isEmpty else { return nil }
        let key = keys.removeFirst()
        rematchPool?[fingerprint] = keys
        return key
    }

    // MARK: - Checkpoint writes around a batch

    /// Records what the decisions of a batch changed without writing to the sink: re-keyed rows
    /// and duplicates found in the destination.
    func recordDecisions(duplicates: [(MessageEnvelope, String)]) async throws {
        if !pendingRekeys.isEmpty {
            try await checkpoint.rekey(pendingRekeys, folder: folder.id)
            pendingRekeys = []
        }
        guard !duplicates.isEmpty else { return }
        let done = duplicates.map { DoneMessage(record: MessageRecord($0.0), reference: $0.1) }
        try await checkpoint.markDone(done, folder: folder.id)
        for message in done { remember(message) }
    }

    func markInFlight(_ envelopes: [MessageEnvelope], position: String?) async throws {
        try await checkpoint.markInFlight(envelopes.map(MessageRecord.init), position: position, folder: folder.id)
    }

    func markDone(_ done: [DoneMessage], failed: [FailedMessage]) async throws {
        try await checkpoint.markDone(done, folder: folder.id)
        try await checkpoint.markFailed(failed, folder: folder.id)
        for message in done { remember(message) }
        for failure in failed { folder.failed[failure.key] = FailureSummary(reason: failure.error.summary, retry: failure.error.retry) }
    }

    private func remember(_ message: DoneMessage) {
        folder.done[message.record.key] = DoneSummary(
            fingerprint: message.record.fingerprint, reference: message.reference, flags: message.record.flags)
        folder.failed[message.record.key] = nil
    }

    /// Saves the folder's state; `complete` (no folder error) makes the content token count for
    /// the next run's up-to-date check. The flag token only moves when flags are known to be in
    /// step: they were synchronised, or every copied message was copied by this run.
    func finish(complete: Bool, flagsSynchronised: String?) async throws {
        var saved = state
        if let identity = writer?.validity { saved.destinationValidity = identity }
        saved.contentToken = complete ? source.contentToken : folder.state.contentToken
        saved.lastMessageCount = source.messageCount ?? folder.state.lastMessageCount
        if let flagsSynchronised {
            saved.flagToken = flagsSynchronised
        } else if !hadDoneRows || sourceReplaced {
            saved.flagToken = source.flagToken
        } else {
            saved.flagToken = folder.state.flagToken
        }
        try await checkpoint.updateFolder(saved, folder: folder.id)
    }

    /// Done messages as the flag synchronisation needs them.
    var doneMessages: [SourceKey: DoneSummary] { folder.done }

    /// The flag token of the last synchronisation (or first copy).
    var flagToken: String? { folder.state.flagToken }

    func recordFlagUpdates(_ updates: [FlagUpdate]) async throws {
        try await checkpoint.updateFlags(updates, folder: folder.id)
        for update in updates {
            folder.done[update.key]?.flags = update.flags
            folder.done[update.key]?.reference = update.reference
        }
    }
}
