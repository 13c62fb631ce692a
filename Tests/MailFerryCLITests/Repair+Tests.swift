import Foundation
import MailCore
import MailTesting
import Stores
import Testing

@Suite("Repair and quarantine against Dovecot", .enabled(if: TestServer.isAvailable, TestServer.skipReason), .serialized)
struct RepairCLITests {
    let server = TestServer.current!

    var environment: [String: String] {
        ["MAILFERRY_SOURCE_PASSWORD": server.password, "MAILFERRY_DEST_PASSWORD": server.password]
    }

    func url(_ user: String) -> String { "imaps://\(user)@\(server.host):\(server.imapsPort)" }

    func read(_ user: String) async throws -> [[UInt8]] {
        var options = StoreOptions()
        options.source.password = .command("echo \(server.password)")
        options.source.caFile = server.caFile
        let store = try await StoreFactory.openSource(try StoreEndpoint(parsing: url(user)), options: options)
        defer { Task { await store.close() } }
        guard let inbox = try await store.listFolders().first(where: { $0.path.isInbox }) else { return [] }
        var messages: [[UInt8]] = []
        for try await item in try await store.messages(in: inbox, selection: .all) {
            if case .message(let envelope) = item { messages.append(try envelope.data.loadAll()) }
        }
        return messages
    }

    /// A Maildir INBOX holding `messages` as files, in order.
    func maildir(_ directory: TemporaryDirectory, _ messages: [[UInt8]]) throws -> String {
        let root = directory.file("Maildir")
        for sub in ["cur", "new", "tmp"] { try FileManager.default.createDirectory(atPath: "\(root)/\(sub)", withIntermediateDirectories: true) }
        for (index, bytes) in messages.enumerated() {
            try Data(bytes).write(to: URL(fileURLWithPath: "\(root)/cur/\(1_700_000_000 + index).M\(index)P1.test:2,S"))
        }
        return root
    }

    @Test("--repair=always: NULs, stray CRs, 8-bit headers and overlong header lines are repaired before sending, Dovecot takes them, and the report lists each")
    func repairedIntoDovecot() async throws {
        try server.reset(user: "repair")
        let directory = try TemporaryDirectory("repair-cli")
        defer { directory.remove() }
        let words = (0..<300).map { "<ref\($0)@example.com>" }.joined(separator: " ")
        let originals: [[UInt8]] = [
            Array("Subject: with NUL\nMessage-ID: <nul@t>\n\nbefore\0after\rstray CR\n".utf8),
            Array("Subject: Grüße aus Köln\nFrom: \"Jörg\" <j@example.com>\nMessage-ID: <8bit@t>\n\nBody ü.\n".utf8),
            Array("Subject: long\nMessage-ID: <long@t>\nReferences: \(words)\n\nbody\n".utf8),
            Array("Subject: clean\nMessage-ID: <clean@t>\n\nnothing to do\n".utf8),
        ]
        let source = try maildir(directory, originals)
        let run = try await BuiltProducts.run(
            [
                "copy", "maildir:\(source)", url("repair"), "--ca-file", server.caFile, "--no-checkpoint", "--quiet", "--report",
                directory.file("r.json"), "--repair=always",
            ],
            environment: environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("3 modified"), "\(run.stdout)")
        let stored = try await read("repair")
        #expect(stored.count == 4)
        // What Dovecot holds is exactly the repaired message (CRLF, as IMAP sends it).
        for original in originals {
            let expected = MessageRepair.repair(LineEndings.toCRLF(original), policy: RepairPolicy()).bytes
            #expect(stored.contains(expected), "\(String(decoding: expected.prefix(60), as: UTF8.self))")
        }
        #expect(stored.allSatisfy { !$0.contains(0) })
        // verify compares the source as copy stored it: repaired, so everything matches (told
        // --repair=always, and by default, where a repaired form counts as a match)…
        for extra in [["--repair=always"], []] {
            let verify = try await BuiltProducts.run(
                ["verify", "maildir:\(source)", url("repair"), "--ca-file", server.caFile, "--quiet"] + extra, environment: environment)
            #expect(verify.status == 0, "\(extra) \(verify.stdout)\(verify.stderr)")
        }
        // …and told --no-repair, it finds the three repaired messages different.
        let raw = try await BuiltProducts.run(
            ["verify", "maildir:\(source)", url("repair"), "--ca-file", server.caFile, "--quiet", "--no-repair"],
            environment: environment)
        #expect(raw.status == 1, "\(raw.stdout)\(raw.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(try directory.read("r.json"))) as? [String: Any]
        let modified = report?["modified"] as? [[String: Any]] ?? []
        #expect(Set(modified.compactMap { $0["messageID"] as? String }) == ["<nul@t>", "<8bit@t>", "<long@t>"])
    }

    @Test("a message over Dovecot's size limit goes to the quarantine with the server's reason; exit 1 lists it")
    func quarantinedBySizeLimit() async throws {
        try server.reset(user: "qsmall")
        let directory = try TemporaryDirectory("quarantine-cli")
        defer { directory.remove() }
        let large = Array("Subject: large\nMessage-ID: <large@t>\n\n".utf8) + Array(repeating: Array("0123456789abcdef\n".utf8), count: 9000).flatMap { $0 }
        let small = Array("Subject: small\nMessage-ID: <small@t>\n\nfits\n".utf8)
        let source = try maildir(directory, [large, small])
        let run = try await BuiltProducts.run(
            [
                "copy", "maildir:\(source)", url("qsmall"), "--ca-file", server.caFile, "--quiet",
                "--checkpoint", directory.file("job.sqlite"), "--quarantine", directory.file("held"),
            ], environment: environment)
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("Quarantined (1, in \(directory.file("held"))):"), "\(run.stdout)")
        #expect(run.stdout.contains("<large@t>"))
        #expect(try await read("qsmall").count == 1)
        let log = String(decoding: try directory.read("held/quarantine.jsonl"), as: UTF8.self)
        let entry = try #require(try JSONSerialization.jsonObject(with: Data(log.utf8)) as? [String: Any])
        #expect(entry["messageID"] as? String == "<large@t>")
        let reason = entry["reason"] as? String ?? ""
        #expect(reason.contains("the server refused the message: Mail size is larger than the maximum size"), "\(reason)")
        let file = try #require(entry["file"] as? String)
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == Data(large))  // never truncated
        // A rerun does not send or quarantine it again.
        let again = try await BuiltProducts.run(
            [
                "copy", "maildir:\(source)", url("qsmall"), "--ca-file", server.caFile, "--quiet",
                "--checkpoint", directory.file("job.sqlite"), "--quarantine", directory.file("held"),
            ], environment: environment)
        #expect(!again.stdout.contains("Quarantined"), "\(again.stdout)")
        #expect(String(decoding: try directory.read("held/quarantine.jsonl"), as: UTF8.self).split(separator: "\n").count == 1)
    }
}

extension RepairCLITests {
    /// An mbox holding, in order: a raw Latin-1 header, a raw UTF-8 header and a last message
    /// without a final line break — all of which Dovecot stores as they are.
    static let rawMessages: [[UInt8]] = [
        Array("Subject: caf".utf8) + [0xe9] + Array(" cr\u{00E8}me\nFrom: Ren".utf8) + [0xe9] + Array(" <r@t>\nMessage-ID: <latin1@t>\n\nbody\n".utf8),
        Array("Subject: Gr\u{00FC}\u{00DF}e aus K\u{00F6}ln\nFrom: \"J\u{00F6}rg\" <j@t>\nMessage-ID: <utf8@t>\n\nBody \u{00FC}.\n".utf8),
        Array("Subject: no final line break\nMessage-ID: <nofinal@t>\n\nlast line".utf8),
    ]
    static let withNUL = Array("Subject: nul\nMessage-ID: <nul@t>\n\nbefore\0after\n".utf8)

    func rawMbox(_ directory: TemporaryDirectory, _ messages: [[UInt8]] = rawMessages) throws -> String {
        var file: [UInt8] = []
        for (index, message) in messages.enumerated() {
            if index > 0 { file += Array("\n".utf8) }
            file += Array("From sender@example.com Mon Mar  4 09:15:0\(index) 2024\n".utf8) + message
        }
        let path = directory.file("raw.mbox")
        try Data(file).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("by default an mbox → IMAP copy of raw Latin-1 and UTF-8 header bytes and a missing final CRLF arrives byte for byte; nothing is modified")
    func byteExactByDefault() async throws {
        try server.reset(user: "repair")
        let directory = try TemporaryDirectory("byte-exact")
        defer { directory.remove() }
        let source = try rawMbox(directory)
        let run = try await BuiltProducts.run(
            ["copy", "mbox:\(source)", url("repair"), "--ca-file", server.caFile, "--no-checkpoint", "--json"], environment: environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect((report["modified"] as? [Any] ?? []).isEmpty, "\(run.stdout)")
        #expect((report["totals"] as? [String: Any])?["copied"] as? Int == 3)
        let stored = try await read("repair")
        #expect(stored.count == 3)
        for original in Self.rawMessages {
            #expect(stored.contains(LineEndings.toCRLF(original)), "\(String(decoding: original.prefix(40), as: UTF8.self))")
        }
        // verify finds everything equal, strictly too.
        for extra in [[], ["--repair=never"], ["--no-repair"]] {
            let verify = try await BuiltProducts.run(
                ["verify", "mbox:\(source)", url("repair"), "--ca-file", server.caFile, "--quiet"] + extra, environment: environment)
            #expect(verify.status == 0, "\(extra) \(verify.stdout)\(verify.stderr)")
        }
        // The same copy with --repair=always repairs all three before sending (the old default).
        try server.reset(user: "repair")
        let always = try await BuiltProducts.run(
            ["copy", "mbox:\(source)", url("repair"), "--ca-file", server.caFile, "--no-checkpoint", "--json", "--repair", "always"],
            environment: environment)
        #expect(always.status == 0, "\(always.stdout)\(always.stderr)")
        let alwaysReport = try #require(try JSONSerialization.jsonObject(with: Data(always.stdout.utf8)) as? [String: Any])
        #expect((alwaysReport["modified"] as? [Any] ?? []).count == 3, "\(always.stdout)")
        // verify of the repaired copy: a match by default (the run could have repaired), not when strict.
        let strict = try await BuiltProducts.run(
            ["verify", "mbox:\(source)", url("repair"), "--ca-file", server.caFile, "--quiet", "--repair=never"], environment: environment)
        #expect(strict.status == 1, "\(strict.stdout)\(strict.stderr)")
    }

    @Test("NUL with BINARY goes as literal8, unchanged; Dovecot still stores it as 0x80, which verify catches, so its profile removes NULs before sending")
    func nulAndDovecot() async throws {
        try server.reset(user: "repair")
        let directory = try TemporaryDirectory("nul-binary")
        defer { directory.remove() }
        let source = try rawMbox(directory, [Self.withNUL])
        let run = try await BuiltProducts.run(
            [
                "copy", "mbox:\(source)", url("repair"), "--ca-file", server.caFile, "--no-checkpoint", "--json",
                "--trace", directory.file("trace.txt"),
            ], environment: environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect((report["modified"] as? [Any] ?? []).isEmpty, "\(run.stdout)")
        // Dovecot offers BINARY (after login): the message went unchanged, as literal8.
        let trace = String(decoding: try directory.read("trace.txt"), as: UTF8.self)
        #expect(trace.contains("APPEND") && trace.contains("~{"), "\(trace.prefix(4000))")
        // Dovecot 2.3 stores the NUL as 0x80 all the same (the source of profiles/dovecot.toml's
        // [repair] entry) — and verify says the message differs.
        let mangled = Array("Subject: nul\r\nMessage-ID: <nul@t>\r\n\r\nbefore".utf8) + [0x80] + Array("after\r\n".utf8)
        #expect(try await read("repair") == [mangled])
        let verify = try await BuiltProducts.run(
            ["verify", "mbox:\(source)", url("repair"), "--ca-file", server.caFile, "--quiet"], environment: environment)
        #expect(verify.status == 1, "\(verify.stdout)\(verify.stderr)")
        // With the dovecot profile the NUL is removed before sending, and reported.
        try server.reset(user: "repair")
        let profiled = try await BuiltProducts.run(
            ["copy", "mbox:\(source)", url("repair"), "--ca-file", server.caFile, "--no-checkpoint", "--json", "--dest-profile", "dovecot"],
            environment: environment)
        #expect(profiled.status == 0, "\(profiled.stdout)\(profiled.stderr)")
        let profiledReport = try #require(try JSONSerialization.jsonObject(with: Data(profiled.stdout.utf8)) as? [String: Any])
        let modified = profiledReport["modified"] as? [[String: Any]] ?? []
        #expect(modified.count == 1 && modified.first?["refusal"] == nil, "\(profiled.stdout)")
        #expect(try await read("repair") == [Array("Subject: nul\r\nMessage-ID: <nul@t>\r\n\r\nbeforeafter\r\n".utf8)])
        let verifyProfiled = try await BuiltProducts.run(
            ["verify", "mbox:\(source)", url("repair"), "--ca-file", server.caFile, "--quiet"], environment: environment)
        #expect(verifyProfiled.status == 0, "\(verifyProfiled.stdout)\(verifyProfiled.stderr)")
    }

    @Test("--repair takes always, on-refusal or never; --no-repair is never and contradicts --repair=always")
    func repairOptionValues() async throws {
        let bad = try await BuiltProducts.run(["copy", "maildir:/nonexistent", "maildir:/nonexistent2", "--repair", "sometimes"])
        #expect(bad.status == 2, "\(bad.stderr)")
        #expect(bad.stderr.contains("always, on-refusal, never"), "\(bad.stderr)")
        let both = try await BuiltProducts.run(["copy", "maildir:/nonexistent", "maildir:/nonexistent2", "--repair", "always", "--no-repair"])
        #expect(both.status == 2, "\(both.stderr)")
        let help = try await BuiltProducts.run(["copy", "--help"])
        #expect(help.stdout.contains("--repair <when>"), "\(help.stdout)")
    }
}

@Suite("Daily budgets against Dovecot", .enabled(if: TestServer.isAvailable, TestServer.skipReason), .serialized)
struct DailyBudgetCLITests {
    let server = TestServer.current!

    @Test("a used-up daily upload budget pauses the run until the window ends, says until when, and loses nothing")
    func uploadBudgetPauses() async throws {
        try server.reset(user: "throttle")
        let directory = try TemporaryDirectory("budget-cli")
        defer { directory.remove() }
        let root = directory.file("Maildir")
        for sub in ["cur", "new", "tmp"] { try FileManager.default.createDirectory(atPath: "\(root)/\(sub)", withIntermediateDirectories: true) }
        for index in 0..<12 {
            let body = String(repeating: "budget line \(index)\n", count: 300)  // ~5 KB each
            try Data("Subject: \(index)\nMessage-ID: <b\(index)@t>\n\n\(body)".utf8)
                .write(to: URL(fileURLWithPath: "\(root)/cur/\(1_700_000_000 + index).M\(index)P1.t:2,S"))
        }
        let started = Date()
        let run = try await BuiltProducts.run(
            [
                "copy", "maildir:\(root)", "imaps://throttle@\(server.host):\(server.imapsPort)", "--ca-file", server.caFile,
                "--no-checkpoint", "--daily-upload-limit", "20K", "--budget-window", "1.5", "--connections", "1",
                "--json",
            ], environment: ["MAILFERRY_DEST_PASSWORD": server.password])
        let elapsed = Date().timeIntervalSince(started)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect((report["totals"] as? [String: Any])?["copied"] as? Int == 12)
        let notes = report["notes"] as? [String] ?? []
        let pauses = notes.filter { $0.contains("daily budget of 20480 bytes is used up") && $0.contains("pausing until") }
        // 60 KB against 20 KB per 1.5 s: two pauses when the machine is fast, at least one when
        // it is so loaded that a window runs out on its own.
        #expect(!pauses.isEmpty, "\(notes)")
        #expect(run.stderr.contains("pausing until"), "\(run.stderr)")
        #expect(elapsed >= 1.5)  // at least one window waited out
    }

    @Test("a daily budget is kept in the checkpoint: the next run of the job goes on from what the last one used")
    func budgetSurvivesRestart() async throws {
        try server.reset(user: "throttle")
        let directory = try TemporaryDirectory("budget-ledger")
        defer { directory.remove() }
        let root = directory.file("Maildir")
        for sub in ["cur", "new", "tmp"] { try FileManager.default.createDirectory(atPath: "\(root)/\(sub)", withIntermediateDirectories: true) }
        var firstBytes = 0  // what the first run uploads: the four messages with CRLF line ends
        for index in 0..<8 {
            let body = String(repeating: "ledger line \(index)\n", count: 300)  // ~4.5 KB each
            let text = "Subject: \(index < 4 ? "first" : "second") \(index)\nMessage-ID: <l\(index)@t>\n\n\(body)"
            if index < 4 { firstBytes += text.utf8.count + text.utf8.filter { $0 == 0x0a }.count }
            try Data(text.utf8).write(to: URL(fileURLWithPath: "\(root)/cur/\(1_700_000_000 + index).M\(index)P1.t:2,S"))
        }
        func run(_ extra: [String]) async throws -> (status: Int32, notes: [String], copied: Int?, stdout: String) {
            let run = try await BuiltProducts.run(
                [
                    "copy", "maildir:\(root)", "imaps://throttle@\(server.host):\(server.imapsPort)", "--ca-file", server.caFile,
                    "--checkpoint", directory.file("job.sqlite"), "--daily-upload-limit", "1M", "--budget-window", "3600",
                    "--json",
                ] + extra, environment: ["MAILFERRY_DEST_PASSWORD": server.password])
            let report = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            return (run.status, report?["notes"] as? [String] ?? [], (report?["totals"] as? [String: Any])?["copied"] as? Int, run.stdout + run.stderr)
        }
        let first = try await run(["--header-match", "Subject:first*"])
        #expect(first.status == 0, "\(first.stdout)")
        #expect(first.copied == 4)
        #expect(!first.notes.contains { $0.contains("earlier run") }, "\(first.notes)")
        let second = try await run([])
        #expect(second.status == 0, "\(second.stdout)")
        #expect(second.copied == 4)
        // The first run's four uploads count against the second run's budget.
        let carried = second.notes.first { $0.contains("goes on from an earlier run") }
        let used = carried.flatMap { $0.components(separatedBy: "earlier run: ").last?.split(separator: " ").first.flatMap { Int($0) } }
        #expect(used == firstBytes, "\(second.notes)")
    }
}

extension RepairCLITests {
    @Test("header rules narrow the IMAP search on the server and are checked exactly on the client")
    func headerRulesAgainstDovecot() async throws {
        try server.reset(user: "repair")
        let directory = try TemporaryDirectory("header-rules")
        defer { directory.remove() }
        let source = try maildir(directory, [
            Array("From: a@example.com\nMessage-ID: <1@t>\n\nkeep\n".utf8),
            Array("From: b@example.com\nList-Id: <dev.example.org>\nMessage-ID: <2@t>\n\nlist\n".utf8),
            Array("From: c@other.net\nMessage-ID: <3@t>\n\nother\n".utf8),
            Array("From: \"@example.com fan\" <d@other.net>\nMessage-ID: <4@t>\n\nlooks alike\n".utf8),
        ])
        let up = try await BuiltProducts.run(
            ["copy", "maildir:\(source)", url("repair"), "--ca-file", server.caFile, "--no-checkpoint", "--quiet"], environment: environment)
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        let run = try await BuiltProducts.run(
            [
                "copy", url("repair"), "maildir:\(directory.file("out"))", "--ca-file", server.caFile, "--no-checkpoint", "--json",
                "--header-match", "From:*@example.com", "--header-exclude", "List-Id:*", "--trace", directory.file("trace.txt"),
            ], environment: environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let trace = String(decoding: try directory.read("trace.txt"), as: UTF8.self)
        #expect(trace.contains("UID SEARCH HEADER "), "\(trace.prefix(3000))")  // the trace hides the strings
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.file("out/cur"))
        #expect(files.count == 1)
        let kept = String(decoding: try directory.read("out/cur/\(files[0])"), as: UTF8.self)
        #expect(kept.contains("<1@t>"))
    }
}

extension RepairCLITests {
    /// A Maildir INBOX whose messages arrived on the given dates (file times).
    func datedMaildir(_ directory: TemporaryDirectory, _ dates: [String]) throws -> String {
        let root = try maildir(directory, dates.enumerated().map { index, date in
            Array("From: sender\(index)@example.com\nSubject: from \(date)\nMessage-ID: <d\(index)@t>\n\nbody \(index)\n".utf8)
        })
        let names = try FileManager.default.contentsOfDirectory(atPath: "\(root)/cur").sorted()
        for (name, date) in zip(names, dates) {
            try FileManager.default.setAttributes(
                [.modificationDate: ISO8601DateFormatter().date(from: date + "T12:00:00Z")!], ofItemAtPath: "\(root)/cur/\(name)")
        }
        return root
    }

    @Test("a filtered rerun with a later cutoff takes what the server-side search left out the first time")
    func laterCutoffAfterPushDown() async throws {
        try server.reset(user: "repair")
        let directory = try TemporaryDirectory("cutoff-rerun")
        defer { directory.remove() }
        let source = try datedMaildir(directory, ["2020-01-01", "2021-01-01", "2022-01-01"])
        let up = try await BuiltProducts.run(
            ["copy", "maildir:\(source)", url("repair"), "--ca-file", server.caFile, "--no-checkpoint", "--quiet"], environment: environment)
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        func run(before: String) async throws -> Int {
            let result = try await BuiltProducts.run(
                [
                    "copy", url("repair"), "maildir:\(directory.file("out"))", "--ca-file", server.caFile, "--quiet", "--json",
                    "--before", before, "--checkpoint", directory.file("job.sqlite"),
                ], environment: environment)
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            return (try json(result.stdout)["totals"] as? [String: Any])?["copied"] as? Int ?? -1
        }
        #expect(try await run(before: "2020-06-01") == 1)
        #expect(try await run(before: "2021-06-01") == 1)  // the 2021 message, left out by the first SEARCH
        #expect(try await run(before: "2021-06-01") == 0)
        #expect(try await run(before: "2023-01-01") == 1)
    }

    @Test("from POP3, size and header filters are applied before RETR: TOP reads the headers, only the kept message is fetched")
    func pop3Prefilter() async throws {
        try server.reset(user: "repair")
        let directory = try TemporaryDirectory("pop3-prefilter")
        defer { directory.remove() }
        let source = try datedMaildir(directory, ["2020-01-01", "2021-01-01", "2022-01-01"])
        let up = try await BuiltProducts.run(
            ["copy", "maildir:\(source)", url("repair"), "--ca-file", server.caFile, "--no-checkpoint", "--quiet"], environment: environment)
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        let run = try await BuiltProducts.run(
            [
                "copy", "pop3s://repair@\(server.host):\(server.pop3sPort)", "maildir:\(directory.file("out"))",
                "--ca-file", server.caFile, "--no-checkpoint", "--json", "--header-match", "From:sender1@*",
                "--trace", directory.file("trace.txt"),
            ], environment: environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let trace = String(decoding: try directory.read("trace.txt"), as: UTF8.self)
        #expect(trace.contains("TOP 1 0") && trace.contains("TOP 3 0"), "\(trace.prefix(2000))")
        let retrs = trace.split(separator: "\n").filter { $0.contains("C: RETR ") }
        #expect(retrs.count == 1, "\(retrs)")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.file("out/cur"))
        #expect(files.count == 1)
    }
}
