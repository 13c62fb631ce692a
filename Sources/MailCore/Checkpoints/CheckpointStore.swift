import Foundation

/// The durable record of a copy job: which messages reached the destination, which are on their
/// way, which failed and why, and what each folder looked like when it was last copied in full.
///
/// The engine writes it in a fixed order — a message is marked *in flight* before the sink sees
/// it and *done* only after the sink confirmed it — so that a run killed at any moment can be
/// resumed without losing or duplicating a message. Implementations (SQLite in `Checkpoints`)
/// make every call durable before returning. Nothing secret is ever handed to it.
public protocol CheckpointStore: Sendable {
    /// Where the checkpoint lives, for reports (a file path).
    var location: String { get }
    /// Records the start of a run.
    func beginRun(at date: Date) async throws
    /// The state of one folder pair, created empty on first use.
    func folder(source: FolderPath, destination: FolderPath) async throws -> FolderCheckpoint
    /// Counts and folder state of a folder pair, without its message rows: enough to see that a
    /// rerun has nothing to do. `nil` when the pair was never copied.
    func overview(source: FolderPath, destination: FolderPath) async throws -> FolderOverview?
    /// Marks messages as being written, with where the sink said new messages would appear.
    func markInFlight(_ messages: [MessageRecord], position: String?, folder: FolderCheckpoint.ID) async throws
    /// Keys recorded as done in any folder pair but `folder` (for sources whose keys span
    /// folders, ``StoreCapabilities/folderSpanningKeyPrefix``).
    func doneKeys(outside folder: FolderCheckpoint.ID) async throws -> Set<SourceKey>
    /// Marks messages as stored (replacing any earlier row with the same key).
    func markDone(_ messages: [DoneMessage], folder: FolderCheckpoint.ID) async throws
    /// Marks messages as failed, with the reason; an in-flight row becomes a failure.
    func markFailed(_ failures: [FailedMessage], folder: FolderCheckpoint.ID) async throws
    /// Removes in-flight rows that the destination turned out not to have (they are sent again).
    func forget(_ keys: [SourceKey], folder: FolderCheckpoint.ID) async throws
    /// Gives done rows new source keys (after the source's UIDVALIDITY changed).
    func rekey(_ changes: [(old: SourceKey, new: SourceKey)], folder: FolderCheckpoint.ID) async throws
    /// Drops every message row of a folder (the destination folder was replaced); returns how many.
    func dropMessages(folder: FolderCheckpoint.ID) async throws -> Int
    /// Records the flags now on the destination for already-copied messages.
    func updateFlags(_ updates: [FlagUpdate], folder: FolderCheckpoint.ID) async throws
    /// Saves the folder-level state (validities, tokens, message count).
    func updateFolder(_ state: FolderState, folder: FolderCheckpoint.ID) async throws
    /// Writes several folders' changes as one unit, in order: one transaction (and, when it
    /// holds in-flight marks, one wait for the disk) instead of one per call.
    func apply(_ changes: [CheckpointChange]) async throws
    /// Records how the run ended.
    func finishRun(_ summary: RunSummary) async throws
    /// Flushes and releases the database and its lock.
    func close() async
}

/// One change of a batch written by ``CheckpointStore/apply(_:)``: the arguments of the
/// single-folder call it stands for.
public enum CheckpointChange: Sendable {
    case inFlight([MessageRecord], position: String?, folder: FolderCheckpoint.ID)
    case done([DoneMessage], folder: FolderCheckpoint.ID)
    case failed([FailedMessage], folder: FolderCheckpoint.ID)
    case flags([FlagUpdate], folder: FolderCheckpoint.ID)
    case folderState(FolderState, folder: FolderCheckpoint.ID)
}

extension CheckpointStore {
    /// One call per change, for stores without a cheaper way.
    public func apply(_ changes: [CheckpointChange]) async throws {
        for change in changes {
            switch change {
            case .inFlight(let messages, let position, let folder):
                try await markInFlight(messages, position: position, folder: folder)
            case .done(let messages, let folder): try await markDone(messages, folder: folder)
            case .failed(let failures, let folder): try await markFailed(failures, folder: folder)
            case .flags(let updates, let folder): try await updateFlags(updates, folder: folder)
            case .folderState(let state, let folder): try await updateFolder(state, folder: folder)
            }
        }
    }
}
