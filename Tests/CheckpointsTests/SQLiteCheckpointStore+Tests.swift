import Checkpoints
import Foundation
import GRDB
import MailCore
import MailTesting
import Testing

@Suite("Checkpoint store (SQLite)")
struct SQLiteCheckpointStoreTests {
    static let identity = JobIdentity(source: "imaps://alice@127.0.0.1:12993/", destination: "maildir:/tmp/x")

    static func record(_ key: String, _ text: String = "hello", flags: FlagSet = FlagSet([.seen])) -> MessageRecord {
        MessageRecord(
            key: SourceKey(key), fingerprint: Fingerprint.of(Array("Subject: \(text)\r\n\r\nbody\r\n".utf8)),
            messageID: "<\(text)@example.org>", size: 20, internalDate: Date(timeIntervalSince1970: 1_700_000_000),
            flags: flags)
    }

    @Test("in-flight, done and failed rows survive closing and reopening")
    func roundTrip() async throws {
        let directory = try TemporaryDirectory("checkpoint")
        defer { directory.remove() }
        let path = directory.file("jobs/job.sqlite")
        let store = try SQLiteCheckpointStore(path: path, identity: Self.identity)
        try await store.beginRun(at: Date())
        let folder = try await store.folder(source: .inbox, destination: FolderPath(["Archive", "2024"])!)
        #expect(folder.done.isEmpty && folder.inFlight.isEmpty && folder.failed.isEmpty)
        let one = Self.record("7:1", "one")
        let two = Self.record("7:2", "two", flags: FlagSet([.seen, .keyword(.forwarded)]))
        let three = Self.record("7:3", "three")
        try await store.markInFlight([one, two, three], position: "7:100", folder: folder.id)
        try await store.markDone([DoneMessage(record: one, reference: "9:100")], folder: folder.id)
        try await store.markFailed(
            [FailedMessage(key: three.key, record: three, error: MailError(.tooLarge, scope: .message, retry: .never, "too big"))],
            folder: folder.id)
        try await store.updateFolder(
            FolderState(sourceValidity: "7", destinationValidity: "9", contentToken: "7/4/3", lastMessageCount: 3),
            folder: folder.id)
        try await store.finishRun(RunSummary(finishedAt: Date(), outcome: "stopped", copied: 1, failed: 1, skipped: 0, stoppedBy: "test"))
        await store.close()

        let reopened = try SQLiteCheckpointStore(path: path, identity: Self.identity)
        let again = try await reopened.folder(source: .inbox, destination: FolderPath(["Archive", "2024"])!)
        #expect(again.id == folder.id)
        #expect(again.done[one.key] == DoneSummary(fingerprint: one.fingerprint, reference: "9:100", flags: one.flags))
        #expect(again.inFlight == [PendingMessage(record: two, position: "7:100")])
        #expect(again.failed[three.key] == FailureSummary(reason: "too big", retry: .never))
        #expect(again.state.sourceValidity == "7")
        #expect(again.state.destinationValidity == "9")
        #expect(again.state.contentToken == "7/4/3")
        #expect(again.state.lastMessageCount == 3)
        #expect(again.state.highestOrdinal == 1)
        let overview = try await reopened.overview(source: .inbox, destination: FolderPath(["Archive", "2024"])!)
        #expect(overview == FolderOverview(state: again.state, done: 1, inFlight: 1, retryableFailures: 0, permanentFailures: 1))
        let never = try await reopened.overview(source: FolderPath(["Other"])!, destination: FolderPath(["Other"])!)
        #expect(never == nil)
        await reopened.close()

        let summary = try CheckpointSummary.read(path: path)
        #expect(summary.jobID == Self.identity.id)
        #expect(summary.runs.first?.outcome == "stopped")
        #expect(summary.folders.count == 1)
        #expect(summary.folders.first.map { ($0.done, $0.failed, $0.inFlight, $0.remaining) } ?? (0, 0, 0, nil) == (1, 1, 1, 1))
        #expect(summary.failures.map(\.reason) == ["too big"])
        #expect(summary.failures.first?.messageID == "<three@example.org>")
    }

    @Test("rows can be re-keyed, forgotten, dropped and have their flags updated")
    func maintenance() async throws {
        let directory = try TemporaryDirectory("checkpoint")
        defer { directory.remove() }
        let store = try SQLiteCheckpointStore(path: directory.file("job.sqlite"), identity: Self.identity)
        defer { Task { await store.close() } }
        let folder = try await store.folder(source: .inbox, destination: .inbox)
        let one = Self.record("7:1", "one")
        let two = Self.record("7:2", "two")
        try await store.markDone([DoneMessage(record: one, reference: "a")], folder: folder.id)
        try await store.markInFlight([two], position: nil, folder: folder.id)
        try await store.rekey([(old: one.key, new: SourceKey("8:1"))], folder: folder.id)
        try await store.forget([two.key, one.key], folder: folder.id)  // only in-flight rows go
        try await store.updateFlags([FlagUpdate(key: SourceKey("8:1"), flags: FlagSet([.flagged]), reference: "b")], folder: folder.id)
        var state = try await store.folder(source: .inbox, destination: .inbox)
        #expect(Array(state.done.keys) == [SourceKey("8:1")])
        #expect(state.done[SourceKey("8:1")]?.flags == FlagSet([.flagged]))
        #expect(state.done[SourceKey("8:1")]?.reference == "b")
        #expect(state.inFlight.isEmpty)
        #expect(try await store.dropMessages(folder: folder.id) == 1)
        state = try await store.folder(source: .inbox, destination: .inbox)
        #expect(state.done.isEmpty)
    }

    @Test("a batch of changes to several folders is written whole, or not at all")
    func batches() async throws {
        let directory = try TemporaryDirectory("checkpoint")
        defer { directory.remove() }
        let store = try SQLiteCheckpointStore(path: directory.file("job.sqlite"), identity: Self.identity)
        defer { Task { await store.close() } }
        let inbox = try await store.folder(source: .inbox, destination: .inbox)
        let archive = try await store.folder(source: FolderPath(["Archive"])!, destination: FolderPath(["Archive"])!)
        let one = Self.record("7:1", "one")
        let two = Self.record("7:2", "two")
        let three = Self.record("3:9", "three")
        let failure = FailedMessage(key: two.key, record: two, error: MailError(.tooLarge, scope: .message, retry: .never, "too big"))
        try await store.apply([
            .inFlight([one, two], position: "7:10", folder: inbox.id),
            .inFlight([three], position: nil, folder: archive.id),
            .failed([failure], folder: inbox.id),
            .done([DoneMessage(record: one, reference: "r1")], folder: inbox.id),
            .flags([FlagUpdate(key: one.key, flags: FlagSet([.flagged]), reference: "r1b")], folder: inbox.id),
            .folderState(FolderState(sourceValidity: "7", lastMessageCount: 2), folder: inbox.id),
        ])
        var state = try await store.folder(source: .inbox, destination: .inbox)
        #expect(state.done[one.key] == DoneSummary(fingerprint: one.fingerprint, reference: "r1b", flags: FlagSet([.flagged])))
        #expect(state.failed[two.key] == FailureSummary(reason: "too big", retry: .never))
        #expect(state.inFlight.isEmpty)
        #expect(state.state.sourceValidity == "7" && state.state.lastMessageCount == 2)
        let other = try await store.folder(source: FolderPath(["Archive"])!, destination: FolderPath(["Archive"])!)
        #expect(other.inFlight == [PendingMessage(record: three, position: nil)])

        // A change the database refuses (a folder that does not exist) takes the whole batch with it.
        await #expect(throws: MailError.self) {
            try await store.apply([
                .done([DoneMessage(record: two, reference: "r2")], folder: inbox.id),
                .inFlight([Self.record("9:1")], position: nil, folder: 9_999),
            ])
        }
        state = try await store.folder(source: .inbox, destination: .inbox)
        #expect(state.done[two.key] == nil)
        #expect(state.failed[two.key] != nil)
    }

    @Test("a second process (or opener) on the same job is refused while the first holds it")
    func secondInstance() async throws {
        let directory = try TemporaryDirectory("checkpoint")
        defer { directory.remove() }
        let path = directory.file("job.sqlite")
        let first = try SQLiteCheckpointStore(path: path, identity: Self.identity)
        #expect {
            _ = try SQLiteCheckpointStore(path: path, identity: Self.identity)
        } throws: { error in
            guard let error = error as? MailError else { return false }
            return error.code == .locked && error.summary.contains("pid \(getpid())") && error.scope == .store
        }
        await first.close()
        let second = try SQLiteCheckpointStore(path: path, identity: Self.identity)
        await second.close()
    }

    enum Damage: String, CaseIterable, Sendable {
        case empty, garbage, truncated, missingWithJobFile, otherJob, notACheckpoint
    }

    @Test("a damaged, empty, foreign or missing checkpoint is refused, never read as a fresh start", arguments: Damage.allCases)
    func refusals(damage: Damage) async throws {
        let directory = try TemporaryDirectory("checkpoint")
        defer { directory.remove() }
        let path = directory.file("job.sqlite")
        // A real checkpoint with some rows, big enough to span several pages.
        let store = try SQLiteCheckpointStore(path: path, identity: Self.identity)
        let folder = try await store.folder(source: .inbox, destination: .inbox)
        try await store.markDone(
            (1...300).map { DoneMessage(record: Self.record("7:\($0)", "m\($0)"), reference: "r\($0)") }, folder: folder.id)
        await store.close()
        var identity = Self.identity
        var expected = "refusing the checkpoint"
        switch damage {
        case .empty:
            try Data().write(to: URL(fileURLWithPath: path))
            expected = "empty"
        case .garbage:
            try Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }).write(to: URL(fileURLWithPath: path))
        case .truncated:
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            try bytes.prefix(bytes.count / 3).write(to: URL(fileURLWithPath: path))
        case .missingWithJobFile:
            try FileManager.default.removeItem(atPath: path)
            expected = "missing"
        case .otherJob:
            identity = JobIdentity(source: "mbox:/elsewhere.mbox", destination: "maildir:/tmp/x")
            expected = "another job"
        case .notACheckpoint:
            try FileManager.default.removeItem(atPath: path)
            try FileManager.default.removeItem(atPath: CheckpointLocation.jobFile(for: path))
            let other = try DatabaseQueue(path: path)
            try await other.write { db in try db.execute(sql: "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('x')") }
            try other.close()
            expected = "no job record"
        }
        #expect {
            _ = try SQLiteCheckpointStore(path: path, identity: identity)
        } throws: { error in
            guard let error = error as? MailError else { return false }
            return error.code == .checkpoint && error.scope == .store && error.summary.contains(expected)
                && error.path == path
        }
    }

    @Test("the default location follows XDG_STATE_HOME and the job identity")
    func location() {
        let environment = ["XDG_STATE_HOME": "/state", "HOME": "/home/me"]
        let path = CheckpointLocation.defaultPath(for: Self.identity, environment: environment)
        #expect(path == "/state/mailferry/jobs/\(Self.identity.id).sqlite")
        #expect(CheckpointLocation.jobsDirectory(environment: ["HOME": "/home/me"]) == "/home/me/.local/state/mailferry/jobs")
        #expect(Self.identity.id.count == 16)
        var other = Self.identity
        other.mapping["to-folder"] = "Archive"
        #expect(other.id != Self.identity.id)
        #expect(JobIdentity(source: "a", destination: "b", mapping: ["x": "1", "y": "2"]).id
            == JobIdentity(source: "a", destination: "b", mapping: ["y": "2", "x": "1"]).id)
    }
}
