import Engine
import Foundation
import MailCore
import MailTesting
import Testing

@Suite("The copy engine")
struct CopyEngineTests {
    static func sample(_ count: Int, seed: UInt64, marker: (Int) -> String? = { _ in nil }) -> [InMemoryStore.StoredItem] {
        var generator = MessageGenerator(seed: seed)
        return (0..<count).map { index in
            let sample = generator.next()
            var bytes = sample.bytes
            if let text = marker(index + 1) { bytes += Array(text.utf8) }
            return InMemoryStore.StoredItem(bytes: bytes, flags: sample.flags, internalDate: sample.internalDate)
        }
    }

    static let inbox = FolderPath.inbox
    static let archive = FolderPath(["Archive"])!

    @Test("copies every folder with bytes, flags and dates intact")
    func copiesEverything() async throws {
        let source = InMemoryStore(name: "memory:source")
        source.add(Self.sample(150, seed: 1), to: Self.inbox)
        source.add(Self.sample(70, seed: 2), to: Self.archive)
        let sink = InMemoryStore(name: "memory:sink")
        var options = CopyOptions()
        options.batchMessages = 16
        options.bufferBudget = 10_000  // far below the folder size: back-pressure must kick in
        let report = await CopyEngine(source: source, sink: sink, options: options).run()
        #expect(report.outcome == .complete)
        #expect(report.totals.copied == 220)
        #expect(report.folders.map(\.copied) == [150, 70])
        for folder in [Self.inbox, Self.archive] {
            let written = sink.items(in: folder)
            let original = source.items(in: folder)
            #expect(written.map(\.bytes) == original.map(\.bytes))
            #expect(written.map(\.flags) == original.map(\.flags))
            #expect(written.map(\.internalDate) == original.map(\.internalDate))
        }
    }

    @Test("bad messages are skipped and listed, rejected ones too; the folder goes on")
    func messageFailures() async throws {
        let source = InMemoryStore(failingMessages: [3, 7])
        source.add(Self.sample(10, seed: 3, marker: { $0 == 5 ? "REJECT-ME" : nil }), to: Self.inbox)
        let sink = InMemoryStore(rejectMarker: "REJECT-ME")
        let report = await CopyEngine(source: source, sink: sink, options: CopyOptions()).run()
        #expect(report.outcome == .partial)
        #expect(report.totals.copied == 7)
        #expect(report.totals.failed == 3)
        #expect(report.failures.compactMap(\.message).sorted() == [3, 5, 7])
        #expect(report.failures.allSatisfy { $0.folder == "INBOX" })
        #expect(sink.items(in: Self.inbox).count == 7)
    }

    @Test("a folder that cannot be read is listed; the others are copied")
    func folderFailure() async {
        let source = InMemoryStore(failingFolders: [Self.archive])
        source.add(Self.sample(5, seed: 4), to: Self.inbox)
        source.add(Self.sample(5, seed: 5), to: Self.archive)
        source.add(Self.sample(5, seed: 6), to: FolderPath(["Sent"])!)
        let report = await CopyEngine(source: source, sink: InMemoryStore(), options: CopyOptions()).run()
        #expect(report.outcome == .partial)
        #expect(report.totals.copied == 10)
        #expect(report.folders.first { $0.source == "Archive" }?.error == "folder cannot be read (test)")
        #expect(report.failures.map(\.scope) == [.folder])
    }

    @Test("a failing store stops the run and the report says where")
    func storeFailure() async {
        let source = InMemoryStore()
        source.add(Self.sample(40, seed: 7), to: Self.inbox)
        source.add(Self.sample(40, seed: 8), to: Self.archive)
        var options = CopyOptions()
        options.batchMessages = 8
        let sink = InMemoryStore(failStoreAfter: 20)
        let report = await CopyEngine(source: source, sink: sink, options: options).run()
        #expect(report.outcome == .stopped)
        #expect(report.stoppedBy?.code == "no-space")
        #expect(report.totals.copied == 16)  // two whole batches; the third failed as a whole
        #expect(report.folders.map(\.copied) == [16])  // the folder in progress is reported; the next is not started
        #expect(report.folders.first?.error == "store is full (test)")
    }

    @Test("what the sink cannot keep is reported, per flag")
    func losses() async {
        let source = InMemoryStore()
        let flags = FlagSet([.seen, .deleted, .keyword(.junk), .keyword(Keyword("ProjectX")!)])
        source.add(Array(repeating: InMemoryStore.StoredItem(bytes: Array("S: x\n\nb\n".utf8), flags: flags), count: 3), to: Self.inbox)
        let sink = InMemoryStore(capabilities: StoreCapabilities(systemFlags: [.seen, .answered, .flagged, .draft], keywords: .limited(1)))
        let report = await CopyEngine(source: source, sink: sink, options: CopyOptions()).run()
        #expect(report.outcome == .complete)
        #expect(report.losses.map { "\($0.flag)×\($0.messages)" } == ["ProjectX×3", "\\Deleted×3"])
    }

    @Test("a dry run counts and writes nothing")
    func dryRun() async {
        let source = InMemoryStore()
        source.add(Self.sample(12, seed: 9), to: Self.inbox)
        let sink = InMemoryStore()
        var options = CopyOptions()
        options.dryRun = true
        let report = await CopyEngine(source: source, sink: sink, options: options).run()
        #expect(report.folders.first?.plannedMessages == 12)
        #expect(report.folders.first?.plannedBytes == source.items(in: Self.inbox).reduce(0) { $0 + $1.bytes.count })
        #expect(sink.folderPaths.isEmpty)
        #expect(report.text.contains("Would copy 12 messages"))
    }

    @Test("progress events arrive in order and add up")
    func progress() async {
        let source = InMemoryStore()
        source.add(Self.sample(30, seed: 10), to: Self.inbox)
        let events = EventLog()
        var options = CopyOptions()
        options.batchMessages = 4
        _ = await CopyEngine(source: source, sink: InMemoryStore(), options: options) { events.append($0) }.run()
        let snapshots = events.snapshots
        #expect(snapshots.last?.runMessages == 30)
        #expect(snapshots.last?.bytesRead == snapshots.last?.bytesTotal)
        #expect(zip(snapshots, snapshots.dropFirst()).allSatisfy { $0.runMessages <= $1.runMessages })
    }
}

final class EventLog: @unchecked Sendable {
    // @unchecked: all access goes through `lock`.
    private let lock = NSLock()
    private var events: [CopyEvent] = []

    func append(_ event: CopyEvent) { lock.withLock { events.append(event) } }

    var snapshots: [ProgressSnapshot] {
        lock.withLock { events.compactMap { if case .progress(let s) = $0 { s } else { nil } } }
    }
}
