import Foundation
import MailCore

/// A checkpoint for sinks durable only on close (``StoreCapabilities/durableOnClose``: an
/// archive volume). In-flight marks go through at once — they say where the messages *may*
/// be (the volume's final name) — but done marks and folder states are held back until the
/// sink's close succeeded, so a run killed before the volume got its final name never
/// records a message as archived. A run killed after that finds the in-flight messages in
/// the volume (the sink's `locate`) and records them then.
public actor DeferredCheckpoint: CheckpointStore {
    private let base: any CheckpointStore
    private var done: [(DoneMessage, FolderCheckpoint.ID)] = []
    private var states: [(FolderState, FolderCheckpoint.ID)] = []
    private var flagUpdates: [(FlagUpdate, FolderCheckpoint.ID)] = []

    public init(_ base: any CheckpointStore) { self.base = base }

    public nonisolated var location: String { base.location }

    /// Writes what was held back; call once the sink's close succeeded.
    public func commit() async throws {
        for (id, rows) in Dictionary(grouping: done, by: \.1) { try await base.markDone(rows.map(\.0), folder: id) }
        for (id, rows) in Dictionary(grouping: flagUpdates, by: \.1) { try await base.updateFlags(rows.map(\.0), folder: id) }
        for (state, id) in states { try await base.updateFolder(state, folder: id) }
        done = []
        flagUpdates = []
        states = []
    }

    /// The base checkpoint's folder pair (after ``commit()``: with this run's messages).
    public func committedFolder(source: FolderPath, destination: FolderPath) async throws -> FolderCheckpoint {
        try await base.folder(source: source, destination: destination)
    }

    public func beginRun(at date: Date) async throws { try await base.beginRun(at: date) }

    public func folder(source: FolderPath, destination: FolderPath) async throws -> FolderCheckpoint {
        try await base.folder(source: source, destination: destination)
    }

    public func overview(source: FolderPath, destination: FolderPath) async throws -> FolderOverview? {
        try await base.overview(source: source, destination: destination)
    }

    public func markInFlight(_ messages: [MessageRecord], position: String?, folder: FolderCheckpoint.ID) async throws {
        try await base.markInFlight(messages, position: position, folder: folder)
    }

    public func markDone(_ messages: [DoneMessage], folder: FolderCheckpoint.ID) async throws {
        done += messages.map { ($0, folder) }
    }

    public func markFailed(_ failures: [FailedMessage], folder: FolderCheckpoint.ID) async throws {
        try await base.markFailed(failures, folder: folder)
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
