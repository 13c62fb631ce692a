#if canImport(Glibc)
import Glibc
#endif
import Checkpoints
import Engine
import Foundation
import MailCore
import MailTesting
import Stores
import Testing

/// A small tmpfs mounted for one test, so that "the disk is full" is real (ENOSPC from the
/// kernel). Mounting needs root (CI runs as root); elsewhere the tests are skipped, saying so.
struct SmallFileSystem {
    let path: String

    static let available: Bool = {
        #if os(Linux)
        guard getuid() == 0, let probe = try? SmallFileSystem(kilobytes: 64) else { return false }
        probe.unmount()
        return true
        #else
        return false
        #endif
    }()

    static let skipReason: Comment = "mounting a small tmpfs to fill it needs root on Linux (CI runs as root)"

    init(kilobytes: Int) throws {
        path = "/tmp/mailferry-full-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", path]) else {
            try? FileManager.default.removeItem(atPath: path)
            throw POSIXError(.EPERM)
        }
    }

    /// Gives the file system room: a bigger size, same contents.
    func grow(kilobytes: Int) -> Bool { run("/bin/mount", ["-o", "remount,size=\(kilobytes)k", path]) }

    func unmount() {
        _ = run("/bin/umount", [path])
        try? FileManager.default.removeItem(atPath: path)
    }

    private func run(_ tool: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}

@Suite("A full disk", .enabled(if: SmallFileSystem.available, SmallFileSystem.skipReason), .serialized)
struct FullDiskTests {
    /// 40 messages of about 8 KB in two folders.
    static func source(_ directory: TemporaryDirectory) async throws -> StoreEndpoint {
        let endpoint = StoreEndpoint.maildir(path: directory.file("source"))
        try await fill(endpoint, options: StoreOptions(), folders: [("INBOX", 25), ("Archive", 15)], seed: 71)
        let sink = try await StoreFactory.openSink(endpoint)
        let writer = try await sink.openFolder(.inbox, subscribe: true)
        let padding = String(repeating: "padding line to make the message bigger than a page or two\n", count: 130)
        _ = try await writer.store(
            (0..<15).map {
                MessageEnvelope(
                    bytes: Array("Message-ID: <big\($0)@full>\nSubject: big \($0)\n\n\(padding)".utf8), folder: .inbox,
                    key: SourceKey("\($0)"), flags: FlagSet([.seen]), internalDate: Date(timeIntervalSince1970: 1_650_000_000))
            })
        try await writer.close()
        return endpoint
    }

    static func run(_ from: StoreEndpoint, _ to: StoreEndpoint, checkpoint: String) async throws -> CopyReport {
        let source = try await StoreFactory.openSource(from)
        let sink = try await StoreFactory.openSink(to)
        let store = try SQLiteCheckpointStore(path: checkpoint, identity: JobIdentity(source: from.jobKey, destination: to.jobKey))
        var options = CopyOptions()
        options.batchMessages = 8
        let report = await CopyEngine(source: source, sink: sink, options: options, checkpoint: store).run()
        await store.close()
        return report
    }

    @Test("ENOSPC in a Maildir destination stops the run and names the file; after room is made, the rerun completes exactly once")
    func destinationFull() async throws {
        let directory = try TemporaryDirectory("full-sink")
        defer { directory.remove() }
        let disk = try SmallFileSystem(kilobytes: 160)
        defer { disk.unmount() }
        let from = try await Self.source(directory)
        let to = StoreEndpoint.maildir(path: disk.path + "/Maildir")
        let full = try await Self.run(from, to, checkpoint: directory.file("job.sqlite"))
        #expect(full.outcome == .stopped)
        #expect(full.stoppedBy?.code == "no-space")
        #expect(full.stoppedBy?.file?.hasPrefix(disk.path) == true)
        #expect(full.stoppedBy?.retry == .later)
        #expect(disk.grow(kilobytes: 4096))
        let resumed = try await Self.run(from, to, checkpoint: directory.file("job.sqlite"))
        #expect(resumed.outcome == .complete, "\(String(describing: resumed.stoppedBy?.text))")
        let check = try await verify(from, to, options: StoreOptions())
        #expect(check.matches, "\(check.text)")
        #expect(check.folders.reduce(0) { $0 + $1.matched } == 55)
    }

    @Test("a full checkpoint directory stops the run; nothing unconfirmed is marked done, and the rerun completes exactly once")
    func checkpointFull() async throws {
        let directory = try TemporaryDirectory("full-checkpoint")
        defer { directory.remove() }
        let disk = try SmallFileSystem(kilobytes: 1024)
        defer { disk.unmount() }
        let from = try await Self.source(directory)
        let to = StoreEndpoint.maildir(path: directory.file("Maildir"))
        let checkpoint = disk.path + "/job.sqlite"
        // Create the checkpoint, then fill the file system but for 96 KB: the run starts (SQLite's
        // shared-memory file takes 32 KB), and the
        // checkpoint's log fills the rest after a few batches.
        await (try SQLiteCheckpointStore(path: checkpoint, identity: JobIdentity(source: from.jobKey, destination: to.jobKey))).close()
        let filler = disk.path + "/filler"
        let free = (try FileManager.default.attributesOfFileSystem(forPath: disk.path)[.systemFreeSize] as? NSNumber)?.intValue ?? 0
        FileManager.default.createFile(atPath: filler, contents: Data(count: max(0, free - 96 * 1024)))
        let full = try await Self.run(from, to, checkpoint: checkpoint)
        #expect(full.outcome == .stopped)
        #expect(["no-space", "checkpoint"].contains(full.stoppedBy?.code ?? ""), "\(String(describing: full.stoppedBy?.text))")
        try FileManager.default.removeItem(atPath: filler)
        let resumed = try await Self.run(from, to, checkpoint: checkpoint)
        #expect(resumed.outcome == .complete, "\(String(describing: resumed.stoppedBy?.text))")
        let check = try await verify(from, to, options: StoreOptions())
        #expect(check.matches, "\(check.text)")
    }
}
