import Engine
import Foundation
import MailCore
import MailTesting
import Stores
import Testing

/// The fault harness: `mailferry copy` is killed (SIGKILL, via MAILFERRY_CRASH_AT) at every
/// checkpoint step in turn, resumed after each kill, and the destination is then compared with
/// the source: every message exactly once, with its flags, keywords and arrival date.
enum CrashHarness {
    static let faultEnvironment = ["MAILFERRY_FAULT_INJECTION": "1"]

    /// Runs the copy killed at step 1, 2, … until a run finishes without reaching its step; after
    /// each kill, `resume` runs it again without faults and `check` compares the two sides.
    /// Returns the number of steps a whole copy has.
    static func run(
        arguments: [String], environment: [String: String], reset: () throws -> Void,
        check: (Int) async throws -> Void, maximumSteps: Int = 400
    ) async throws -> Int {
        for step in 1...maximumSteps {
            try reset()
            var crashing = environment.merging(faultEnvironment) { $1 }
            crashing["MAILFERRY_CRASH_AT"] = String(step)
            let crashed = try await BuiltProducts.run(arguments, environment: crashing)
            if crashed.status == 0 {
                // The copy has fewer steps than `step`: every step has been crashed at once.
                try await check(step)
                return step - 1
            }
            #expect(crashed.status == SIGKILL, "step \(step): exit \(crashed.status): \(crashed.stderr)")
            #expect(crashed.stderr.contains("killed at checkpoint step \(step) ("), "step \(step): \(crashed.stderr)")
            let resumed = try await BuiltProducts.run(arguments, environment: environment)
            #expect(resumed.status == 0, "step \(step): the resumed run failed: \(resumed.stdout) \(resumed.stderr)")
            try await check(step)
            if resumed.status != 0 || crashed.status != SIGKILL { return step }
        }
        Issue.record("the copy never finished within \(maximumSteps) steps")
        return maximumSteps
    }

    /// The destination holds exactly the source's messages (nothing missing, duplicated or extra),
    /// with equal flags, keywords and dates.
    static func expectSame(
        _ source: any MessageSource, _ destination: any MessageSource, step: Int, folders: Int = 5, messages: Int = 50,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        let report = await Verifier(source: source, destination: destination, planner: CopyPlanner(), exact: true).run()
        #expect(report.matches, "after a kill at step \(step):\n\(report.text)", sourceLocation: sourceLocation)
        #expect(report.folders.filter { $0.sourceMessages > 0 }.count == folders, sourceLocation: sourceLocation)
        #expect(report.folders.reduce(0) { $0 + $1.matched } == messages, sourceLocation: sourceLocation)
        await source.close()
        await destination.close()
    }

    /// 5 folders of 10 generated messages each (no NUL bytes, which IMAP cannot carry).
    static func writeSource(into sink: any MessageSink, seed: UInt64) async throws {
        let folders = ["INBOX", "Archive", "Sent", "Lists/Swift", "Lists/Dovecot"].map { ($0, 10) }
        try await storeGeneratedMessages(into: sink, folders: folders, seed: seed)
        try await sink.close()
    }
}

@Suite("Crash at every checkpoint step", .serialized)
struct CrashAtEveryStepTests {
    @Test("mbox → Maildir: killed at every step and resumed, every message lands exactly once")
    func mboxToMaildir() async throws {
        let directory = try TemporaryDirectory("crash-steps")
        defer { directory.remove() }
        try await CrashHarness.writeSource(
            into: try await StoreFactory.openSink(.mbox(path: directory.file("source/"))), seed: 404)
        let target = directory.file("Maildir")
        let checkpoint = directory.file("job.sqlite")
        let steps = try await CrashHarness.run(
            arguments: [
                "copy", "mbox:\(directory.file("source/"))", "maildir:\(target)", "--checkpoint", checkpoint,
                "--batch-messages", "4", "--quiet",
            ],
            environment: [:],
            reset: {
                for path in [target, checkpoint, checkpoint + ".job", checkpoint + "-wal", checkpoint + "-shm"] {
                    try? FileManager.default.removeItem(atPath: path)
                }
            },
            check: { step in
                await CrashHarness.expectSame(
                    try await StoreFactory.openSource(.mbox(path: directory.file("source/"))),
                    try await StoreFactory.openSource(.maildir(path: target)), step: step)
            })
        // At least 5 folders × 3 batches (of at most 4) × 3 steps, plus one step per folder.
        #expect(steps >= 50)
    }
}

@Suite(
    "Crash at every checkpoint step, IMAP → IMAP", .enabled(if: TestServer.isAvailable, TestServer.skipReason), .serialized)
struct IMAPCrashAtEveryStepTests {
    let server = TestServer.current!

    func url(_ user: String) -> String { "imaps://\(user)@\(server.host):\(server.imapsPort)" }

    func options() -> StoreOptions {
        var options = StoreOptions()
        for side in [\StoreOptions.source, \StoreOptions.destination] {
            options[keyPath: side].password = .command("echo \(server.password)")
            options[keyPath: side].caFile = server.caFile
        }
        return options
    }

    @Test("IMAP → IMAP, 5 folders at once: killed at every step and resumed, every message lands exactly once")
    func imapToIMAP() async throws {
        try server.reset(user: "crashsrc")
        let directory = try TemporaryDirectory("imap-crash-steps")
        defer { directory.remove() }
        let source = try StoreEndpoint(parsing: url("crashsrc"))
        let destination = try StoreEndpoint(parsing: url("crashdst"))
        try await CrashHarness.writeSource(into: try await StoreFactory.openSink(source, options: options()), seed: 505)
        let checkpoint = directory.file("job.sqlite")
        let steps = try await CrashHarness.run(
            arguments: [
                "copy", url("crashsrc"), url("crashdst"), "--checkpoint", checkpoint, "--ca-file", server.caFile,
                "--batch-messages", "5", "--quiet",
            ],
            environment: ["MAILFERRY_SOURCE_PASSWORD": server.password, "MAILFERRY_DEST_PASSWORD": server.password],
            reset: {
                try server.reset(user: "crashdst")
                for path in [checkpoint, checkpoint + ".job", checkpoint + "-wal", checkpoint + "-shm"] {
                    try? FileManager.default.removeItem(atPath: path)
                }
            },
            check: { step in
                await CrashHarness.expectSame(
                    try await StoreFactory.openSource(source, options: options()),
                    try await StoreFactory.openDestinationForReading(destination, options: options()), step: step)
            })
        // At least 5 folders × 2 batches (of at most 5) × 3 steps, plus one step per folder.
        #expect(steps >= 35)
    }
}
