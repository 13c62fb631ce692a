import Checkpoints
import Engine
import Foundation
import MailCore
import MailTesting
import Testing

/// Reruns with a checkpoint, against in-memory stores that behave like IMAP (UIDs, UIDVALIDITY).
@Suite("Resuming and rerunning with a checkpoint")
struct ResumeTests {
    static let inbox = FolderPath.inbox
    static let archive = FolderPath(["Archive"])!

    /// A source with two folders, a sink, and a checkpoint in a temporary directory.
    struct Fixture {
        let source = InMemoryStore(name: "memory:source")
        let sink: InMemoryStore
        let directory: TemporaryDirectory
        var options = CopyOptions()

        init(sink: InMemoryStore = InMemoryStore(name: "memory:sink"), inbox: Int = 30, archive: Int = 12) throws {
            self.sink = sink
            directory = try TemporaryDirectory("resume")
            source.add(CopyEngineTests.sample(inbox, seed: 21), to: ResumeTests.inbox)
            source.add(CopyEngineTests.sample(archive, seed: 22), to: ResumeTests.archive)
            options.batchMessages = 5
        }

        /// One run with its own checkpoint connection, as one `mailferry copy` would make.
        func run(_ adjust: (inout CopyOptions) -> Void = { _ in }, sink: InMemoryStore? = nil) async throws -> CopyReport {
            let checkpoint = try SQLiteCheckpointStore(
                path: directory.file("job.sqlite"), identity: JobIdentity(source: "memory:source", destination: "memory:sink"))
            var options = self.options
            adjust(&options)
            let report = await CopyEngine(source: source, sink: sink ?? self.sink, options: options, checkpoint: checkpoint).run()
            await checkpoint.close()
            return report
        }

        /// Every source message is in the sink exactly once, with its flags and date.
        func expectExactlyOnce(sourceLocation: SourceLocation = #_sourceLocation) {
            for folder in [ResumeTests.inbox, ResumeTests.archive] {
                let want = source.items(in: folder).map { Copy($0) }.sorted()
                let have = sink.items(in: folder).map { Copy($0) }.sorted()
                #expect(have == want, "folder \(folder)", sourceLocation: sourceLocation)
            }
        }
    }

    /// What a copy must keep of a message.
    struct Copy: Comparable {
        var fingerprint: String
        var flags: String
        var date: Double?

        init(_ item: InMemoryStore.StoredItem) {
            fingerprint = Fingerprint.of(item.bytes).hex
            flags = item.flags.description
            date = item.internalDate?.timeIntervalSince1970
        }

        static func < (a: Copy, b: Copy) -> Bool { (a.fingerprint, a.flags) < (b.fingerprint, b.flags) }
    }

    @Test("a rerun with nothing new copies nothing and says so; new messages alone are copied next")
    func incremental() async throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        let first = try await fixture.run()
        #expect(first.totals.copied == 42)
        #expect(first.checkpoint == fixture.directory.file("job.sqlite"))
        let second = try await fixture.run()
        #expect(second.totals.copied == 0)
        #expect(second.folders.allSatisfy { $0.upToDate })
        #expect(second.nothingToDo)
        #expect(second.text.contains("Nothing to do"))
        fixture.source.add(CopyEngineTests.sample(3, seed: 99), to: Self.inbox)
        let third = try await fixture.run()
        #expect(third.totals.copied == 3)
        #expect(third.folders.first { $0.source == "INBOX" }?.skipped == 30)
        fixture.expectExactlyOnce()
    }

    @Test("flag changes on the source reach copied messages with --sync-flags, and only then")
    func syncFlags() async throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        _ = try await fixture.run()
        fixture.source.setFlags(FlagSet([.flagged, .keyword(Keyword("Later")!)]), folder: Self.inbox, index: 3)
        fixture.source.setFlags(FlagSet(), folder: Self.archive, index: 0)
        let plain = try await fixture.run()
        #expect(plain.totals.flagsUpdated == 0)
        #expect(fixture.sink.items(in: Self.inbox)[3].flags != fixture.source.items(in: Self.inbox)[3].flags)
        let synced = try await fixture.run { $0.resume.syncFlags = true }
        #expect(synced.totals.flagsUpdated == 2)
        #expect(synced.totals.copied == 0)
        fixture.expectExactlyOnce()
        let again = try await fixture.run { $0.resume.syncFlags = true }
        #expect(again.totals.flagsUpdated == 0)
    }

    @Test("a replaced source folder (new UIDVALIDITY) is matched by content: nothing is copied twice")
    func sourceReplaced() async throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        _ = try await fixture.run()
        fixture.source.recreate(Self.inbox)  // same messages, new UIDs and UIDVALIDITY
        fixture.source.add(CopyEngineTests.sample(2, seed: 77), to: Self.inbox)
        let report = try await fixture.run()
        #expect(report.totals.copied == 2)
        #expect(report.notes.contains { $0.contains("source folder was replaced") })
        fixture.expectExactlyOnce()
        let again = try await fixture.run()
        #expect(again.totals.copied == 0)
    }

    @Test("a replaced destination folder is filled again, without duplicating what it still holds")
    func destinationReplaced() async throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        _ = try await fixture.run()
        let kept = Array(fixture.sink.items(in: Self.inbox).prefix(10))
        fixture.sink.recreate(Self.inbox, keeping: kept)
        let report = try await fixture.run()
        #expect(report.folders.first { $0.source == "INBOX" }?.copied == 20)
        #expect(report.folders.first { $0.source == "INBOX" }?.deduplicated == 10)
        #expect(report.notes.contains { $0.contains("destination folder was replaced") })
        fixture.expectExactlyOnce()
    }

    @Test("--dedup skips what the destination holds, but not different messages that share a Message-ID")
    func dedup() async throws {
        let fixture = try Fixture(inbox: 0, archive: 0)
        defer { fixture.directory.remove() }
        func message(_ id: String?, _ body: String, date: Double = 1_700_000_000) -> InMemoryStore.StoredItem {
            let header = id.map { "Message-ID: \($0)\n" } ?? ""
            return InMemoryStore.StoredItem(
                bytes: Array("\(header)Subject: s\n\n\(body)\n".utf8), flags: FlagSet([.seen]),
                internalDate: Date(timeIntervalSince1970: date))
        }
        // Already in the destination (an earlier tool's attempt): one with a Message-ID, one draft without.
        fixture.sink.add([message("<a@x>", "first"), message(nil, "draft")], to: Self.inbox)
        fixture.source.add(
            [
                message("<a@x>", "first"),  // there already
                message("<a@x>", "a different message with the same Message-ID"),
                message(nil, "draft"),  // there already (same content)
                message(nil, "another draft"),
                message("<b@x>", "second"),
            ], to: Self.inbox)
        let report = try await fixture.run { $0.resume.dedup = true }
        #expect(report.totals.copied == 3)
        #expect(report.totals.deduplicated == 2)
        #expect(fixture.sink.items(in: Self.inbox).count == 5)
        fixture.expectExactlyOnce()
    }

    @Test("a folder that lost over 90% of its messages is stopped unless allowed")
    func shrinkStop() async throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        _ = try await fixture.run()
        fixture.source.remove(folder: Self.inbox) { $0.uid > 2 }
        let stopped = try await fixture.run()
        #expect(stopped.outcome == .partial)
        #expect(stopped.failures.contains { $0.code == "source-shrank" && $0.folder == "INBOX" })
        let allowed = try await fixture.run { $0.resume.allowShrink = true }
        #expect(allowed.outcome == .complete)
    }

    @Test("permanent failures wait for --retry-failed, which retries only them")
    func retryFailed() async throws {
        let fixture = try Fixture(sink: InMemoryStore(name: "memory:sink", rejectMarker: "Subject: report"))
        defer { fixture.directory.remove() }
        let first = try await fixture.run()
        let rejected = first.totals.failed
        #expect(rejected > 0)
        let second = try await fixture.run()
        #expect(second.totals.copied == 0 && second.totals.failed == 0)
        #expect(second.notes.contains { $0.contains("failed for good") })
        fixture.source.add(CopyEngineTests.sample(1, seed: 5), to: Self.archive)
        // Retrying into a sink that now accepts them: only the failures are copied, not the new message.
        let accepting = InMemoryStore(name: "memory:sink")
        for folder in [Self.inbox, Self.archive] {
            accepting.add(fixture.sink.items(in: folder), to: folder)
        }
        let retry = try await fixture.run({ $0.resume.retryFailed = true }, sink: accepting)
        #expect(retry.totals.copied == rejected)
        #expect(accepting.items(in: Self.inbox).count + accepting.items(in: Self.archive).count == 42)
    }

    @Test(
        "a run that stops around a batch resumes without loss or duplicates",
        arguments: [SinkFault.beforeStoring, .afterStoring])
    func interruptedBatch(fault: SinkFault) async throws {
        let sink = InMemoryStore(name: "memory:sink")
        let fixture = try Fixture(sink: sink)
        defer { fixture.directory.remove() }
        let faulty = FaultySink(inner: sink, fault: fault, afterBatches: 3)
        let checkpoint = try SQLiteCheckpointStore(
            path: fixture.directory.file("job.sqlite"), identity: JobIdentity(source: "memory:source", destination: "memory:sink"))
        let stopped = await CopyEngine(source: fixture.source, sink: faulty, options: fixture.options, checkpoint: checkpoint).run()
        await checkpoint.close()
        #expect(stopped.outcome == .stopped)
        let resumed = try await fixture.run()
        #expect(resumed.outcome == .complete)
        if fault == .afterStoring {
            #expect(resumed.folders.reduce(0) { $0 + $1.inFlightFound } == 5)
        }
        fixture.expectExactlyOnce()
    }

    enum SinkFault: Sendable { case beforeStoring, afterStoring }

    /// Wraps a sink: the n-th batch fails like a lost connection, before or after reaching storage.
    final class FaultySink: MessageSink, @unchecked Sendable {
        // @unchecked: `batches` is only touched by the single folder task the tests run.
        let inner: InMemoryStore
        let fault: SinkFault
        let afterBatches: Int
        var batches = 0
        var displayName: String { inner.displayName }
        var capabilities: StoreCapabilities { StoreCapabilities(maximumConcurrency: 1) }

        init(inner: InMemoryStore, fault: SinkFault, afterBatches: Int) {
            self.inner = inner
            self.fault = fault
            self.afterBatches = afterBatches
        }

        func listFolders() async throws -> [FolderInfo] { try await inner.listFolders() }
        func close() async throws {}
        func openFolder(_ path: FolderPath, subscribe: Bool) async throws -> any FolderWriter {
            Writer(owner: self, inner: try await inner.openFolder(path, subscribe: subscribe))
        }

        final class Writer: FolderWriter {
            let owner: FaultySink
            let inner: any FolderWriter
            init(owner: FaultySink, inner: any FolderWriter) {
                self.owner = owner
                self.inner = inner
            }
            var location: String { inner.location }
            var validity: String? { inner.validity }
            func position() async throws -> String? { try await inner.position() }
            func locate(_ messages: [PendingMessage]) async throws -> [SourceKey: String] { try await inner.locate(messages) }
            func existingMessages() async throws -> [StoredIdentity] { try await inner.existingMessages() }
            func updateFlags(_ changes: [(reference: String, flags: FlagSet)]) async throws -> [String?] {
                try await inner.updateFlags(changes)
            }
            func close() async throws { try await inner.close() }
            func store(_ batch: [MessageEnvelope]) async throws -> [DeliveryOutcome] {
                owner.batches += 1
                let lost = MailError(.unwritable, scope: .store, retry: .now, "connection lost (test)")
                if owner.batches == owner.afterBatches {
                    if owner.fault == .afterStoring { _ = try await inner.store(batch) }
                    throw lost
                }
                return try await inner.store(batch)
            }
        }
    }
}
