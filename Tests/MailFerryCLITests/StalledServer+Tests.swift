import Foundation
import MailCore
import MailTesting
import Stores
import Testing

/// A source server that starts to trickle in the middle of a copy: `mailferry copy` must end by
/// itself soon after the configured deadline, exit 3, keep its checkpoint, and a rerun against
/// the server in good shape must finish the job exactly once. The source is the test Dovecot's
/// `soaksrc` (otherwise only used by scripts/soak.sh), reached through a proxy on one port for
/// both runs (the same job).
@Suite("A stalled server from the command line", .enabled(if: TestServer.isAvailable, TestServer.skipReason), .serialized)
struct StalledServerCLITests {
    let server = TestServer.current!

    @Test("a source that trickles mid-copy ends the run within the deadline plus 10 s, exit 3; a rerun finishes exactly once")
    func tricklingSource() async throws {
        try server.reset(user: "soaksrc")
        let directory = try TemporaryDirectory("cli-stalled")
        defer { directory.remove() }
        let local = directory.file("Generated")
        try await storeGeneratedMessages(
            into: try MaildirStore(openingSink: local, options: StoreOptions()), folders: [("INBOX", 30)], seed: 91)
        let password = ["MAILFERRY_SOURCE_PASSWORD": server.password, "MAILFERRY_DEST_PASSWORD": server.password]
        let filled = try await BuiltProducts.run(
            ["copy", "maildir:\(local)", "imaps://soaksrc@\(server.host):\(server.imapsPort)", "--ca-file", server.caFile,
             "--no-checkpoint", "--no-repair", "-q"],
            environment: password)
        #expect(filled.status == 0, "\(filled.stdout)\(filled.stderr)")

        // The first connection trickles from byte 40,000 on (inside the message bodies); every
        // later one (the reader's reconnect) trickles from its greeting on.
        let slow = CuttingProxy.Action.trickle(everyMilliseconds: 250)
        let stalled = try CuttingProxy(
            upstreamPort: server.imapPort, plans: [CuttingProxy.Plan(.afterBytes(40_000), direction: .serverToClient, action: slow)],
            later: CuttingProxy.Plan(.afterBytes(0), direction: .serverToClient, action: slow), hideStartTLS: true)
        let port = stalled.port
        let source = "imap://soaksrc@127.0.0.1:\(port)"
        let target = directory.file("Maildir")
        let checkpoint = directory.file("job.sqlite")
        let arguments = [
            "copy", source, "maildir:\(target)", "--allow-plaintext", "--checkpoint", checkpoint, "--no-repair", "--json",
        ]
        let deadline = ["--response-deadline", "2", "--minimum-rate", "1K", "--rate-window", "2"]
        let started = ContinuousClock.now
        let first = try await BuiltProducts.run(arguments + deadline, environment: password, timeout: 90)
        let elapsed = ContinuousClock.now - started
        stalled.stop()
        #expect(first.status == 3, "\(first.stdout)\(first.stderr)")
        // The rate window (2 s) for the body, the response deadline (2 s) for the reconnect's greeting, plus 10 s.
        #expect(elapsed < .seconds(14), "the run took \(elapsed)")
        #expect(first.stdout.contains("too slow"), "\(first.stdout)")
        #expect(stalled.cuts >= 2)
        let report = try json(first.stdout)
        let copiedFirst = try #require((report["totals"] as? [String: Any])?["copied"] as? Int)
        #expect(copiedFirst < 30)

        // The server is well again, at the same address: the same job finishes, nothing twice.
        let healthy = try CuttingProxy(upstreamPort: server.imapPort, plans: [], port: port, hideStartTLS: true)
        defer { healthy.stop() }
        let second = try await BuiltProducts.run(arguments, environment: password, timeout: 90)
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        let rerun = try json(second.stdout)
        #expect((rerun["totals"] as? [String: Any])?["copied"] as? Int == 30 - copiedFirst)
        let verified = try await BuiltProducts.run(
            ["verify", "imaps://soaksrc@\(server.host):\(server.imapsPort)", "maildir:\(target)", "--ca-file", server.caFile,
             "--no-repair"],
            environment: password)
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        var files = 0
        for sub in ["cur", "new"] {
            files += (try? FileManager.default.contentsOfDirectory(atPath: "\(target)/\(sub)"))?.count ?? 0
        }
        #expect(files == 30)
    }

    @Test("--help documents the progress deadline and the stall watchdog")
    func help() async throws {
        let help = try await BuiltProducts.run(["copy", "--help"])
        for option in ["--response-deadline", "--minimum-rate", "--rate-window", "--stall-timeout"] {
            #expect(help.stdout.contains(option), "\(option)")
        }
        let refused = try await BuiltProducts.run(["copy", "mbox:/nonexistent", "maildir:/tmp/x", "--minimum-rate", "fast"])
        #expect(refused.status == 2)
    }
}
