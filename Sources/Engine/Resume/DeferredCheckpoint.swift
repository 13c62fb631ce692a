import Foundation
import MailCore

/// A checkpoint for sinks durable only on close (``StoreCapabilities/durableOnClose``: an
/// archive volume), where nothing the sink holds counts until that close.
///
/// In-flight marks and failures are gathered and written by ``flushPending()`` — one
/// transaction for the run instead of one per batch — which the engine calls just before
/// closing the sink: they must be durable before the volume can get its final name, not
/// before. Done marks, folder states and flag updates wait for ``commit()``, after the close
/// succeeded, so a run killed before the volume got its final name never records a message
/// as archived, and one killed after it finds the in-flight messages in the volume (the
/// sink's `locate`) and records them then. Changes to earlier runs' rows (forget, rekey, drop)
/// go through at once, so they stay ordered before this run's marks.
public actor DeferredCheckpoint: CheckpointStore {
    private let base: any CheckpointStore
    private var inFlight: [FolderCheckpoint.ID: [String?: [SourceKey: MessageRecord]]] = [:]
    private var failed: [FolderCheckpoint.ID: [SourceKey: FailedMessage]] = [:]
    private var done: [(DoneMessage, FolderCheckpoint.ID)] = []
    private var states: [(FolderState, FolderCheckpoint.ID)] = []
    private var flagUpdates: [(FlagUpdate, FolderCheckpoint.ID)] = []

    public init(_ base: any CheckpointStore) { self.base = base }

    public nonisolated var location: String { base.location }

    /// Writes the gathered in-flight marks and failures, in one durable transaction; call before
    /// closing the sink (it may run while the sink prepares its close, ``MessageSink/prepareClose()``).
    public func flushPending() async throws {
        try await base.apply(takePending())
    }

    /// Writes what was held back, in one transaction; call once the sink's close succeeded.
    public func commit() async throws {
        var changes = takePending()
        for (id, rows) in Dictionary(grouping: done, by: \.1) { changes.append(.done(rows.map(\.0), folder: id)) }
        for (id, rows) in Dictionary(grouping: flagUpdates, by: \.1) { changes.append(.flags(rows.map(\.0), folder: id)) }
        for (state, id) in states { changes.append(.folderState(state, folder: id)) }
        try await base.apply(changes)
        done = []
        flagUpdates = []
        states = []
    }

    /// The gathered in-flight marks and failures as changes, forgotten here.
    private func takePending() -> [CheckpointChange] {
        var changes: [CheckpointChange] = []
        for (id, positions) in inFlight {
            for (position, records) in positions where !records.isEmpty {
                changes.append(.inFlight(Array(records.values), position: position, folder: id))
            }
        }
        for (id, failures) in failed where !failures.isEmpty { changes.append(.failed(Array(failures.values), folder: id)) }
        inFlight = [:]
        failed = [:]
        return changes
    }

    /// The base checkpoint's folder pair (after ``commit()``: with this run's messages).
    public func committedFolder(source: FolderPath, destination: FolderPath) async throws -> FolderCheckpoint {
        try await base.folder(source: source, destination: destination)
    }

    public func beginRun(at date: Date) async throws { try await base.beginRun(at: date) }

    public func doneKeys(outside folder: FolderCheckpoint.ID) async throws -> Set<SourceKey> {
        try await base.doneKeys(outside: folder)
    }

    public func folder(source: FolderPath, destination: FolderPath) async throws -> FolderCheckpoint {
        try await base.folder(source: source, destination: destination)
    }

    public func overview(source: FolderPath, destination: FolderPath) async throws -> FolderOverview? {
        try await base.overview(source: source, destination: destination)
    }

    public func markInFlight(_ messages: [MessageRecord], position: String?, folder: FolderCheckpoint.ID) async throws {
        for message in messages {
            failed[folder]?[message.key] = nil
            inFlight[folder, default: [:]][position, default: [:]][message.key] = message
        }
    }

    public func markDone(_ messages: [DoneMessage], folder: FolderCheckpoint.ID) async throws {
        done += messages.map { ($0, folder) }
    }

    public func markFailed(_ failures: [FailedMessage], folder: FolderCheckpoint.ID) async throws {
        for failure in failures {
            // A failure replaces this run's in-flight mark (the store keeps its record).
            if let positions = inFlight[folder] {
                for position in positions.keys { inFlight[folder]?[position]?[failure.key] = nil }
            }
            failed[folder, default: [:]][failure.key] = failure
        }
    }

    public func forget(_ keys: [SourceKey], folder: FolderCheckpoint.ID) async throws {
        try await base.forget(keys, folder: folder)
    }

    public func rekey(_ changes: [(old: SourceKey, new: SourceKey)], folder: FolderCheckpoint.ID) async throws {
        try await base.rekey(changes, folder: folder)
    }

    public func dropMessages(folder: FolderCheckpoint.ID) async throws -> Int {
        try await base.dropMessages(folder: folder)
    }

    public func updateFlags(_ updates: [FlagUpdate], folder: FolderCheckpoint.ID) async throws {
        flagUpdates += updates.map { ($0, folder) }
    }

    public func updateFolder(_ state: FolderState, folder: FolderCheckpoint.ID) async throws {
        states.append((state, folder))
    }

    public func finishRun(_ summary: RunSummary) async throws { try await base.finishRun(summary) }

    public func close() async { await base.close() }
}
