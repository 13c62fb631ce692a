import Engine
import Foundation
import MailCore
import MailTesting
import Synchronization
import Testing

/// A sink whose writer, from its `stallAt`-th batch on, waits for a wake-up that never comes
/// (the lost-continuation shape of a pipeline that stopped moving): neither an error nor task
/// cancellation ends the wait.
final class StallingSink: MessageSink {
    let inner = InMemoryStore(name: "memory:stalling")
    let stallAt: Int
    var displayName: String { inner.displayName }
    var capabilities: StoreCapabilities { inner.capabilities }

    init(stallAt: Int) { self.stallAt = stallAt }

    func listFolders() async throws -> [FolderInfo] { try await inner.listFolders() }
    func openFolder(_ path: FolderPath, subscribe: Bool) async throws -> any FolderWriter {
        StallingWriter(inner: try await inner.openFolder(path, subscribe: subscribe), stallAt: stallAt)
    }
    func close() async throws {}
}

final class StallingWriter: FolderWriter {
    let inner: any FolderWriter
    let stallAt: Int
    var batches = 0
    var parked: [CheckedContinuation<Void, Never>] = []
    init(inner: any FolderWriter, stallAt: Int) {
        self.inner = inner
        self.stallAt = stallAt
    }
    var location: String { inner.location }
    func store(_ batch: [MessageEnvelope]) async throws -> [DeliveryOutcome] {
        batches += 1
        if batches >= stallAt {
            // Parked for good: a continuation kept where nothing will ever resume it.
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in parked.append(continuation) }
        }
        return try await inner.store(batch)
    }
    func close() async throws { try await inner.close() }
    var validity: String? { inner.validity }
    func position() async throws -> String? { try await inner.position() }
    func locate(_ messages: [PendingMessage]) async throws -> [SourceKey: String] { try await inner.locate(messages) }
    func existingMessages() async throws -> [StoredIdentity] { try await inner.existingMessages() }
    func updateFlags(_ changes: [(reference: String, flags: FlagSet)]) async throws -> [String?] {
        try await inner.updateFlags(changes)
    }
}

@Suite("The engine's stall watchdog")
struct StallWatchTests {
    @Test("a folder whose copy stops moving for good stops the run with a clear error; what was stored stays counted")
    func stalledPipeline() async throws {
        let source = InMemoryStore(name: "memory:source")
        source.add(CopyEngineTests.sample(40, seed: 81), to: .inbox)
        let sink = StallingSink(stallAt: 3)
        var options = CopyOptions()
        options.batchMessages = 5
        options.stallTimeout = 1
        let report = await CopyEngine(source: source, sink: sink, options: options).run()
        #expect(report.outcome == .stopped)
        #expect(report.stoppedBy?.text.contains("stopped moving") == true, "\(String(describing: report.stoppedBy?.text))")
        #expect(sink.inner.items(in: .inbox).count == 10)  // the two batches before the stall
    }

    @Test("a folder that keeps moving, however long it takes, is not stopped")
    func slowButMoving() async throws {
        let source = InMemoryStore(name: "memory:source")
        source.add(CopyEngineTests.sample(12, seed: 82), to: .inbox)
        let sink = SlowSink(delay: .milliseconds(300))
        var options = CopyOptions()
        options.batchMessages = 1
        options.stallTimeout = 10  // each batch takes 0.3 s, far under the timeout even on a loaded machine
        let report = await CopyEngine(source: source, sink: sink, options: options).run()
        #expect(report.outcome == .complete, "\(String(describing: report.stoppedBy?.text))")
        #expect(report.totals.copied == 12)
    }

    @Test("a pause the stores announced does not count as a stall")
    func announcedPause() async throws {
        let source = InMemoryStore(name: "memory:source")
        source.add(CopyEngineTests.sample(2, seed: 83), to: .inbox)
        let pauses = DeliberatePauses()
        let sink = SlowSink(delay: .milliseconds(2500), before: { pauses.pause(until: Date().addingTimeInterval(3)) })
        var options = CopyOptions()
        options.batchMessages = 2
        options.stallTimeout = 1
        options.pauses = pauses
        let report = await CopyEngine(source: source, sink: sink, options: options).run()
        #expect(report.outcome == .complete, "\(String(describing: report.stoppedBy?.text))")
    }
}

/// A sink that takes `delay` per batch (after calling `before`).
final class SlowSink: MessageSink {
    let inner = InMemoryStore(name: "memory:slow")
    let delay: Duration
    let before: @Sendable () -> Void
    var displayName: String { inner.displayName }
    var capabilities: StoreCapabilities { inner.capabilities }

    init(delay: Duration, before: @escaping @Sendable () -> Void = {}) {
        self.delay = delay
        self.before = before
    }

    func listFolders() async throws -> [FolderInfo] { try await inner.listFolders() }
    func openFolder(_ path: FolderPath, subscribe: Bool) async throws -> any FolderWriter {
        SlowWriter(inner: try await inner.openFolder(path, subscribe: subscribe), delay: delay, before: before)
    }
    func close() async throws {}
}

final class SlowWriter: FolderWriter {
    let inner: any FolderWriter
    let delay: Duration
    let before: @Sendable () -> Void
    init(inner: any FolderWriter, delay: Duration, before: @escaping @Sendable () -> Void) {
        self.inner = inner
        self.delay = delay
        self.before = before
    }
    var location: String { inner.location }
    func store(_ batch: [MessageEnvelope]) async throws -> [DeliveryOutcome] {
        before()
        try await Task.sleep(for: delay)
        return try await inner.store(batch)
    }
    func close() async throws { try await inner.close() }
    var validity: String? { inner.validity }
    func position() async throws -> String? { try await inner.position() }
    func locate(_ messages: [PendingMessage]) async throws -> [SourceKey: String] { try await inner.locate(messages) }
    func existingMessages() async throws -> [StoredIdentity] { try await inner.existingMessages() }
    func updateFlags(_ changes: [(reference: String, flags: FlagSet)]) async throws -> [String?] {
        try await inner.updateFlags(changes)
    }
}
