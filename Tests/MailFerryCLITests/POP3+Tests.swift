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

    @Test("old POP3 downloads (a Thunderbird Local Folders tree) go into IMAP folders: tree kept, X-Mozilla-Status mapped, mail also still on the server skipped")
    func importDownloads() async throws {
        try server.reset(user: "popd")
        try server.reset(user: "popcli")
        try await seed("popd", count: 6, seed: 63)
        let directory = try TemporaryDirectory("cli-pop3-import")
        defer { directory.remove() }
        let imapURL = "imaps://popcli@\(server.host):\(server.imapsPort)"
        // What is still on the server goes to INBOX first.
        let fromServer = try await BuiltProducts.run(
            ["copy", pop3("popd"), imapURL, "--ca-file", server.caFile, "--checkpoint", directory.file("a.sqlite")], environment: environment)
        #expect(fromServer.status == 0, "\(fromServer.stderr)")
        // Thunderbird downloaded four of them earlier: Inbox holds them as it stores mail (LF,
        // "From - " lines, its status headers), and a subfolder holds two older messages.
        let source = try await StoreFactory.openSource(try StoreEndpoint(parsing: pop3("popd")), options: options())
        var downloaded: [String] = []
        for try await item in try await source.messages(in: try #require(try await source.listFolders().first)) {
            guard case .message(let envelope) = item, downloaded.count < 4 else { continue }
            let text = String(decoding: try envelope.data.loadAll(), as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
            // Quoted as mboxrd (one more `>` on `>*From ` lines), so the body reads back unchanged.
            let quoted = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                line.drop(while: { $0 == ">" }).hasPrefix("From ") ? ">" + line : line
            }.joined(separator: "\n")
            downloaded.append("From - Mon Mar  4 09:15:02 2024\nX-Mozilla-Status: 0005\nX-Mozilla-Status2: 00000000\n" + quoted + "\n")
        }
        await source.close()
        #expect(downloaded.count == 4)
        let folders = directory.file("Local Folders")
        try directory.write("Local Folders/Inbox", downloaded.joined())
        try directory.write("Local Folders/Inbox.msf", "// Thunderbird's index")
        try directory.write(
            "Local Folders/Inbox.sbd/Receipts",
            "From - Tue Jan  2 10:00:00 2018\nX-Mozilla-Status: 0001\nMessage-ID: <r1@shop.example>\nSubject: receipt\n\none\n\n"
                + "From - Wed Jan  3 10:00:00 2018\nX-Mozilla-Status: 0000\nMessage-ID: <r2@shop.example>\nSubject: receipt\n\ntwo\n\n")
        let imported = try await BuiltProducts.run(
            ["copy", "mbox:\(folders)/", imapURL, "--ca-file", server.caFile, "--dedup", "--checkpoint", directory.file("b.sqlite"), "--json"],
            environment: environment)
        #expect(imported.status == 0, "\(imported.stderr)")
        let report = try json(imported.stdout)
        let rows = try #require(report["folders"] as? [[String: Any]])
        let inbox = try #require(rows.first { $0["destination"] as? String == "INBOX" })
        #expect(inbox["deduplicated"] as? Int == 4 && inbox["copied"] as? Int == 0, "\(rows)")
        let receipts = try #require(rows.first { $0["destination"] as? String == "INBOX/Receipts" })
        #expect(receipts["copied"] as? Int == 2)
        let destination = try await StoreFactory.openSource(try StoreEndpoint(parsing: imapURL), options: options())
        let listed = try await destination.listFolders()
        #expect(listed.first { $0.path.displayName == "INBOX" }?.messageCount == 6)
        let folder = try #require(listed.first { $0.path.displayName == "INBOX/Receipts" })
        var seen: [String: Bool] = [:]
        for try await item in try await destination.messages(in: folder) {
            guard case .message(let envelope) = item else { continue }
            seen[envelope.messageID ?? ""] = envelope.flags.system.contains(.seen)
            #expect(!String(decoding: try envelope.data.loadAll(), as: UTF8.self).contains("X-Mozilla"))
        }
        await destination.close()
        #expect(seen == ["<r1@shop.example>": true, "<r2@shop.example>": false])
    }

    @Test("a daily download budget pauses POP3 reading (the session ended, a new one later), says until when, and loses nothing")
    func downloadBudgetPauses() async throws {
        try server.reset(user: "popd")
        try await seed("popd", count: 12, seed: 67)
        let source = try await StoreFactory.openSource(try StoreEndpoint(parsing: pop3("popd")), options: options())
        let total = try await source.listFolders().first?.byteCount ?? 0
        await source.close()
        #expect(total > 0)
        let directory = try TemporaryDirectory("pop3-budget")
        defer { directory.remove() }
        let maildir = directory.file("out")
        // About a third of the mailbox per 1.5 s window: at least one pause, at most a few.
        let run = try await BuiltProducts.run(
            [
                "copy", pop3("popd"), "maildir:\(maildir)", "--ca-file", server.caFile, "--checkpoint", directory.file("job.sqlite"),
                "--daily-download-limit", String(total / 3), "--budget-window", "1.5", "--json",
            ], environment: environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let report = try json(run.stdout)
        #expect((report["totals"] as? [String: Any])?["copied"] as? Int == 12)
        let notes = report["notes"] as? [String] ?? []
        #expect(notes.contains { $0.contains("source daily budget of \(total / 3) bytes is used up") && $0.contains("pausing until") }, "\(notes)")
        try await expectSame("popd", maildir: maildir, count: 12, step: 0)
    }

    @Test("a profile's [pop3] login order is followed: LOGIN first when it says so; a token-only profile gets no password at all")
    func profileLoginOrder() async throws {
        try server.reset(user: "popd")
        try await seed("popd", count: 2, seed: 71)
        let directory = try TemporaryDirectory("pop3-auth-order")
        defer { directory.remove() }
        let profiles = directory.file("config/mailferry/profiles")
        try FileManager.default.createDirectory(atPath: profiles, withIntermediateDirectories: true)
        for (name, order) in [("pop-login-first", #"["login", "plain"]"#), ("pop-token-only", #"["xoauth2"]"#)] {
            try Data(
                """
                name = "\(name)"
                display_name = "\(name)"
                [pop3]
                host = "\(server.host)"
                port = \(server.pop3sPort)
                security = "tls"
                auth = \(order)
                """.utf8
            ).write(to: URL(fileURLWithPath: "\(profiles)/\(name).toml"))
        }
        var environment = self.environment
        environment["XDG_CONFIG_HOME"] = directory.file("config")
        func run(_ profile: String) async throws -> (status: Int32, output: String, trace: String) {
            let trace = directory.file("\(profile).trace")
            let run = try await BuiltProducts.run(
                [
                    "copy", pop3("popd"), "maildir:\(directory.file(profile))", "--ca-file", server.caFile, "--no-checkpoint",
                    "--source-profile", profile, "--trace", trace,
                ], environment: environment)
            let text = (try? String(contentsOfFile: trace, encoding: .utf8)) ?? ""
            return (run.status, run.stdout + run.stderr, text)
        }
        let login = try await run("pop-login-first")
        #expect(login.status == 0, "\(login.output)")
        #expect(login.trace.contains("AUTH LOGIN"), "\(login.trace.prefix(2000))")
        #expect(!login.trace.contains("AUTH PLAIN"))
        let token = try await run("pop-token-only")
        #expect(token.status == 3, "\(token.output)")
        #expect(token.output.contains("takes only XOAUTH2"), "\(token.output)")
        #expect(!token.trace.contains("PASS") && !token.trace.contains("AUTH "), "\(token.trace.prefix(2000))")
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
