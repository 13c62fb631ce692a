import Checkpoints
import Engine
import Foundation
import MailCore
import MailTesting
import Synchronization
import Testing

/// Closing a sink that is durable only on close (an archive): it may prepare while the
/// checkpoint's in-flight marks are written, but completes only once they are durable.
@Suite("Closing a sink durable only on close")
struct DurableCloseTests {
    /// Steps of a run, in the order they happened.
    final class Journal: Sendable {
        private let steps = Mutex<[String]>([])
        func note(_ step: String) { steps.withLock { $0.append(step) } }
        var all: [String] { steps.withLock { $0 } }
    }

    /// An in-memory sink whose messages count only after `close()`, noting prepare and close.
    final class ClosingSink: MessageSink {
        let store: InMemoryStore
        let journal: Journal
        let capabilities: StoreCapabilities
        var displayName: String { store.displayName }

        init(journal: Journal) {
            var capabilities = StoreCapabilities()
            capabilities.durableOnClose = true
            self.capabilities = capabilities
            store = InMemoryStore(name: "memory:closing", capabilities: capabilities)
            self.journal = journal
        }

        func listFolders() async throws -> [FolderInfo] { try await store.listFolders() }
        func openFolder(_ path: FolderPath, subscribe: Bool) async throws -> any FolderWriter {
            try await store.openFolder(path, subscribe: subscribe)
        }
        func prepareClose() async throws { journal.note("prepare") }
        func close() async throws { journal.note("close") }
    }

    /// A SQLite checkpoint that notes (and, when asked, refuses) batches holding in-flight marks.
    final class WatchedCheckpoint: CheckpointStore {
        let base: SQLiteCheckpointStore
        let journal: Journal
        let refuseInFlight: Bool
        var location: String { base.location }

        init(path: String, journal: Journal, refuseInFlight: Bool) throws {
            base = try SQLiteCheckpointStore(path: path, identity: JobIdentity(source: "memory:source", destination: "memory:closing"))
            self.journal = journal
            self.refuseInFlight = refuseInFlight
        }

        func apply(_ changes: [CheckpointChange]) async throws {
            if changes.contains(where: { if case .inFlight = $0 { true } else { false } }) {
                journal.note("in-flight marks")
                if refuseInFlight { throw MailError(.checkpoint, scope: .store, retry: .later, "disk full (test)") }
            }
            if changes.contains(where: { if case .done = $0 { true } else { false } }) { journal.note("done marks") }
            try await base.apply(changes)
        }

        func beginRun(at date: Date) async throws { try await base.beginRun(at: date) }
        func folder(source: FolderPath, destination: FolderPath) async throws -> FolderCheckpoint {
            try await base.folder(source: source, destination: destination)
        }
        func overview(source: FolderPath, destination: FolderPath) async throws -> FolderOverview? {
            try await base.overview(source: source, destination: destination)
        }
        func markInFlight(_ messages: [MessageRecord], position: String?, folder: FolderCheckpoint.ID) async throws {
            try await apply([.inFlight(messages, position: position, folder: folder)])
        }
        func doneKeys(outside folder: FolderCheckpoint.ID) async throws -> Set<SourceKey> {
            try await base.doneKeys(outside: folder)
        }
        func markDone(_ messages: [DoneMessage], folder: FolderCheckpoint.ID) async throws {
            try await apply([.done(messages, folder: folder)])
        }
        func markFailed(_ failures: [FailedMessage], folder: FolderCheckpoint.ID) async throws {
            try await base.markFailed(failures, folder: folder)
        }
        func forget(_ keys: [SourceKey], folder: FolderCheckpoint.ID) async throws { try await base.forget(keys, folder: folder) }
        func rekey(_ changes: [(old: SourceKey, new: SourceKey)], folder: FolderCheckpoint.ID) async throws {
            try await base.rekey(changes, folder: folder)
        }
        func dropMessages(folder: FolderCheckpoint.ID) async throws -> Int { try await base.dropMessages(folder: folder) }
        func updateFlags(_ updates: [FlagUpdate], folder: FolderCheckpoint.ID) async throws {
            try await base.updateFlags(updates, folder: folder)
        }
        func updateFolder(_ state: FolderState, folder: FolderCheckpoint.ID) async throws {
            try await base.updateFolder(state, folder: folder)
        }
        func finishRun(_ summary: RunSummary) async throws { try await base.finishRun(summary) }
        func close() async { await base.close() }
    }

    private func run(refuseInFlight: Bool) async throws -> (CopyReport, [String], FolderCheckpoint) {
        let directory = try TemporaryDirectory("durable-close")
        defer { directory.remove() }
        let journal = Journal()
        let source = InMemoryStore(name: "memory:source")
        source.add(CopyEngineTests.sample(12, seed: 31), to: .inbox)
        source.add(CopyEngineTests.sample(7, seed: 32), to: FolderPath(["Archive"])!)
        let checkpoint = try WatchedCheckpoint(path: directory.file("job.sqlite"), journal: journal, refuseInFlight: refuseInFlight)
        var options = CopyOptions()
        options.batchMessages = 5
        let report = await CopyEngine(source: source, sink: ClosingSink(journal: journal), options: options, checkpoint: checkpoint).run()
        let inbox = try await checkpoint.folder(source: .inbox, destination: .inbox)
        await checkpoint.close()
        return (report, journal.all, inbox)
    }

    @Test("the sink completes only after the in-flight marks are written, in one batch; done marks follow")
    func completesAfterTheMarks() async throws {
        let (report, steps, inbox) = try await run(refuseInFlight: false)
        #expect(report.stoppedBy == nil)
        #expect(report.totals.copied == 19)
        // Both folders' marks went in one batch, not one per batch of 5 messages.
        #expect(steps.filter { $0 == "in-flight marks" }.count == 1)
        #expect(steps.filter { $0 == "prepare" }.count == 1)
        let close = try #require(steps.firstIndex(of: "close"))
        #expect(try #require(steps.firstIndex(of: "in-flight marks")) < close)
        #expect(try #require(steps.firstIndex(of: "prepare")) < close)
        #expect(try #require(steps.firstIndex(of: "done marks")) > close)
        #expect(inbox.done.count == 12 && inbox.inFlight.isEmpty)
    }

    @Test("when the in-flight marks cannot be written the sink is never completed and nothing counts as copied")
    func neverCompletesWithoutTheMarks() async throws {
        let (report, steps, inbox) = try await run(refuseInFlight: true)
        #expect(report.stoppedBy?.text.contains("disk full (test)") == true)
        #expect(report.totals.copied == 0)
        #expect(!steps.contains("close"))
        #expect(!steps.contains("done marks"))
        #expect(inbox.done.isEmpty)
    }
}
