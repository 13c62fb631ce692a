import Engine
import Foundation
import MailCore
import MailTesting
import Stores
import Testing

@Suite("POP3 from the command line", .enabled(if: TestServer.isAvailable, TestServer.skipReason), .serialized)
struct POP3CLITests {
    let server = TestServer.current!

    var environment: [String: String] {
        ["MAILFERRY_SOURCE_PASSWORD": server.password, "MAILFERRY_DEST_PASSWORD": server.password]
    }

    func pop3(_ user: String) -> String { "pop3s://\(user)@\(server.host):\(server.pop3sPort)" }

    func options() -> StoreOptions {
        var options = StoreOptions()
        for side in [\StoreOptions.source, \StoreOptions.destination] {
            options[keyPath: side].password = .command("echo \(server.password)")
            options[keyPath: side].caFile = server.caFile
        }
        return options
    }

    /// Fills a user's INBOX over IMAP with generated messages.
    func seed(_ user: String, count: Int, seed: UInt64) async throws {
        let sink = try await StoreFactory.openSink(
            try StoreEndpoint(parsing: "imaps://\(user)@\(server.host):\(server.imapsPort)"), options: options())
        try await storeGeneratedMessages(into: sink, folders: [("INBOX", count)], seed: seed)
        try await sink.close()
    }

    func onServer(_ user: String) async throws -> Int {
        let source = try await StoreFactory.openSource(try StoreEndpoint(parsing: pop3(user)), options: options())
        let count = try await source.listFolders().first?.messageCount ?? -1
        await source.close()
        return count
    }

    /// The destination holds exactly what the POP3 account serves: nothing missing or twice.
    func expectSame(_ user: String, maildir: String, count: Int, step: Int) async throws {
        let source = try await StoreFactory.openSource(try StoreEndpoint(parsing: pop3(user)), options: options())
        let destination = try await StoreFactory.openSource(.maildir(path: maildir))
        let report = await Verifier(source: source, destination: destination, planner: CopyPlanner(), exact: true).run()
        #expect(report.matches, "after a kill at step \(step):\n\(report.text)")
        #expect(report.folders.reduce(0) { $0 + $1.matched } == count, "step \(step)")
        await source.close()
        await destination.close()
    }

    @Test("POP3 → IMAP end to end from the README's command; a rerun has nothing to do")
    func popToIMAP() async throws {
        try server.reset(user: "popd")
        try server.reset(user: "popcli")
        try await seed("popd", count: 15, seed: 61)
        let directory = try TemporaryDirectory("cli-pop3")
        defer { directory.remove() }
        let arguments = [
            "copy", pop3("popd"), "imaps://popcli@\(server.host):\(server.imapsPort)/INBOX", "--ca-file", server.caFile,
            "--checkpoint", directory.file("job.sqlite"), "--mark-seen",
        ]
        let first = try await BuiltProducts.run(arguments + ["--json"], environment: environment)
        #expect(first.status == 0, "\(first.stderr)")
        let report = try json(first.stdout)
        #expect((report["totals"] as? [String: Any])?["copied"] as? Int == 15)
        let second = try await BuiltProducts.run(arguments, environment: environment)
        #expect(second.status == 0)
        #expect(second.stdout.contains("Nothing to do: all 15 messages"), "\(second.stdout)")
        #expect(try await onServer("popd") == 15)
        #expect(!first.stdout.contains(server.password) && !first.stderr.contains(server.password))
    }

    @Test("POP3-only options are refused for other sources; deleting needs the checkpoint", arguments: [
        ["copy", "mbox:/nonexistent.mbox", "maildir:/tmp/x", "--mark-seen"],
        ["copy", "mbox:/nonexistent.mbox", "maildir:/tmp/x", "--delete-after-copy"],
        ["copy", "mbox:/nonexistent.mbox", "maildir:/tmp/x", "--source-auth", "apop"],
        ["copy", "pop3s://me@127.0.0.1:1", "maildir:/tmp/x", "--delete-after-copy", "--no-checkpoint"],
        ["copy", "pop3s://me@127.0.0.1:1", "maildir:/tmp/x", "--delete-after-copy", "--leave-on-server"],
        ["copy", "maildir:/tmp/x", "pop3s://me@127.0.0.1:1"],
        ["copy", "pop3s://me:pw@127.0.0.1", "maildir:/tmp/x"],
        ["copy", "pop3s://me@127.0.0.1/INBOX", "maildir:/tmp/x"],
    ])
    func usage(arguments: [String]) async throws {
        let result = try await BuiltProducts.run(arguments)
        #expect(result.status == 2, "\(arguments): \(result.status) \(result.stderr)")
    }

    @Test("POP3 → Maildir killed at every checkpoint step (RETRs in flight) and resumed: every message exactly once")
    func crashAtEveryStep() async throws {
        try server.reset(user: "popc")
        try await seed("popc", count: 23, seed: 62)
        let directory = try TemporaryDirectory("cli-pop3-crash")
        defer { directory.remove() }
        let target = directory.file("Maildir")
        let checkpoint = directory.file("job.sqlite")
        let arguments = [
            "copy", pop3("popc"), "maildir:\(target)", "--checkpoint", checkpoint, "--ca-file", server.caFile,
            "--batch-messages", "5", "--quiet",
        ]
        let reset = {
            for path in [target, checkpoint, checkpoint + ".job", checkpoint + "-wal", checkpoint + "-shm"] {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        let steps = try await CrashHarness.run(
            arguments: arguments, environment: environment, reset: reset,
            check: { step in try await expectSame("popc", maildir: target, count: 23, step: step) })
        // 5 batches × 3 steps, plus the folder's step.
        #expect(steps >= 16)

        // With --delete-after-copy: a killed run deletes nothing; the resumed one copies the rest
        // once and then deletes everything.
        reset()
        var crashing = environment.merging(CrashHarness.faultEnvironment) { $1 }
        crashing["MAILFERRY_CRASH_AT"] = "7"
        let killed = try await BuiltProducts.run(arguments + ["--delete-after-copy"], environment: crashing)
        #expect(killed.status == SIGKILL)
        #expect(try await onServer("popc") == 23)
        let resumed = try await BuiltProducts.run(arguments + ["--delete-after-copy", "--json"], environment: environment)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let totals = try json(resumed.stdout)["totals"] as? [String: Any]
        #expect(totals?["removedFromSource"] as? Int == 23)
        #expect(try await onServer("popc") == 0)
        let copied = try await StoreFactory.openSource(.maildir(path: target))
        let folder = try #require(try await copied.listFolders().first)
        var ids: [String] = []
        for try await item in try await copied.messages(in: folder) {
            if case .message(let envelope) = item { ids.append(envelope.messageID ?? "") }
        }
        await copied.close()
        #expect(ids.count == 23 && Set(ids).count == 23)
    }
}
