import Foundation
import MailCore
import MailTesting
import Testing

/// Issue 17's "no silent skips": hostile folder names, profiles that match by mistake, dry runs
/// that ignore filters and the checkpoint, and reports that are not written when a store cannot
/// be opened. Servers are ``FakeIMAPServer`` in this process (127.0.0.1, no TLS).
@Suite("No silent skips", .serialized)
struct NoSilentSkipsTests {
    static let environment = ["MAILFERRY_SOURCE_PASSWORD": "secret", "MAILFERRY_DEST_PASSWORD": "secret"]

    static func message(_ id: String) -> [UInt8] {
        Array("From: a@example.com\r\nSubject: \(id)\r\nMessage-ID: <\(id)@example.com>\r\n\r\nBody of \(id)\r\n".utf8)
    }

    /// A server that lists folders a sane server never would, one message in each.
    static func hostileServer(delimiter: String, names: [String]) throws -> FakeIMAPServer {
        var configuration = FakeIMAPServer.Configuration()
        configuration.delimiter = delimiter
        configuration.acceptsAnyMailboxName = true
        configuration.mailboxes = [FakeIMAPServer.MailboxSeed("INBOX")] + names.map { FakeIMAPServer.MailboxSeed($0) }
        let server = try FakeIMAPServer(configuration)
        try server.append(bytes: message("inbox"), flags: ["\\Seen"], to: "INBOX")
        for (index, name) in names.enumerated() {
            try server.append(bytes: message("hostile\(index)"), flags: ["\\Seen"], to: name)
        }
        return server
    }

    /// Every regular file under `root`, relative to it.
    static func files(under root: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var result: [String] = []
        while let name = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: "\(root)/\(name)", isDirectory: &isDirectory), !isDirectory.boolValue {
                result.append(name)
            }
        }
        return result
    }

    static let hostile: [(delimiter: String, names: [String])] = [
        ("/", ["/etc/x", "/tmp/abs", "a/../x", "../up"]),
        (".", ["a/../../x", "/etc/y", "..", "b..c"]),
    ]

    @Test(
        "hostile folder names arrive inside the destination under encoded names (Maildir++, fs, mbox directory); none is dropped",
        arguments: hostile)
    func hostileNames(delimiter: String, names: [String]) async throws {
        let server = try Self.hostileServer(delimiter: delimiter, names: names)
        defer { server.stop() }
        let directory = try TemporaryDirectory("hostile-names")
        defer { directory.remove() }
        // The destination is two levels down, so a name that climbed out would land beside it.
        let base = directory.file("a/b")
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        let destinations = [
            ("maildir:\(base)/plus", [String]()), ("maildir:\(base)/fs", ["--maildir-layout", "fs"]),
            ("mbox:\(base)/mboxes/", [String]()),
        ]
        for (destination, extra) in destinations {
            let run = try await BuiltProducts.run(
                ["copy", "imap://me@127.0.0.1:\(server.port)", destination, "--allow-plaintext", "--json", "--no-checkpoint"]
                    + extra,
                environment: Self.environment)
            #expect(run.status == 0, "\(destination): \(run.stdout)\(run.stderr)")
            let report = try json(run.stdout)
            let folders = try #require(report["folders"] as? [[String: Any]])
            #expect(folders.count == names.count + 1, "\(destination): a folder was dropped: \(folders.map { $0["source"] ?? "" })")
            #expect((report["totals"] as? [String: Any])?["copied"] as? Int == names.count + 1, "\(destination)")
            // A name kept whole is said in the report.
            let warnings = report["warnings"] as? [[String: Any]] ?? []
            #expect(warnings.contains { ($0["reason"] as? String)?.contains("empty level") == true }, "\(warnings)")
        }
        // Nothing outside the destinations: the only entries beside them are theirs.
        #expect(try FileManager.default.contentsOfDirectory(atPath: base).sorted() == ["fs", "mboxes", "plus"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("a")) == ["b"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["a"])
        // Every message is in a file inside each destination; each folder under an escaped name.
        let plus = Self.files(under: "\(base)/plus").filter { $0.contains("/cur/") || $0.hasPrefix("cur/") }
        #expect(plus.count == names.count + 1, "\(plus)")
        #expect(plus.allSatisfy { !$0.contains("/../") && !$0.hasPrefix("../") })
        let fs = Self.files(under: "\(base)/fs").filter { $0.contains("/cur/") || $0.hasPrefix("cur/") }
        #expect(fs.count == names.count + 1, "\(fs)")
        let mboxes = Self.files(under: "\(base)/mboxes")
        let contents = try mboxes.map { String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(base)/mboxes/\($0)")), as: UTF8.self) }
        for index in names.indices {
            #expect(contents.contains { $0.contains("<hostile\(index)@example.com>") }, "hostile\(index) missing: \(mboxes)")
        }
        if delimiter == "/" {
            #expect(FileManager.default.fileExists(atPath: "\(base)/plus/.\\2fetc\\2fx/cur"))
            #expect(FileManager.default.fileExists(atPath: "\(base)/plus/.a.\\2e\\2e.x/cur"))
            #expect(FileManager.default.fileExists(atPath: "\(base)/fs/a/\\2e\\2e/x/cur"))
        } else {
            #expect(FileManager.default.fileExists(atPath: "\(base)/plus/.a\\2f\\2e\\2e\\2f\\2e\\2e\\2fx/cur"))
        }
    }

    /// Folders named like Proton Mail Bridge's skipped ones, on a loopback server that is not Bridge.
    static func loopbackServer() throws -> FakeIMAPServer {
        var configuration = FakeIMAPServer.Configuration()
        configuration.mailboxes = [
            FakeIMAPServer.MailboxSeed("INBOX"), FakeIMAPServer.MailboxSeed("All Mail"), FakeIMAPServer.MailboxSeed("Starred"),
        ]
        let server = try FakeIMAPServer(configuration)
        try server.append(bytes: message("inbox"), to: "INBOX")
        try server.append(bytes: message("all"), to: "All Mail")
        try server.append(bytes: message("starred"), to: "Starred")
        return server
    }

    @Test("a profile is found by host and port: a loopback server is not Proton Mail Bridge, so All Mail and Starred are copied")
    func profileNeedsPort() async throws {
        let server = try Self.loopbackServer()
        defer { server.stop() }
        let directory = try TemporaryDirectory("profile-port")
        defer { directory.remove() }
        let run = try await BuiltProducts.run(
            ["copy", "imap://me@127.0.0.1:\(server.port)", "maildir:\(directory.file("out"))", "--allow-plaintext", "--json", "--no-checkpoint"],
            environment: Self.environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(!run.stdout.contains("protonmail-bridge"), "\(run.stdout)")
        #expect(FileManager.default.fileExists(atPath: directory.file("out/.All Mail/cur")))
        #expect(FileManager.default.fileExists(atPath: directory.file("out/.Starred/cur")))
    }

    @Test("a profile's skipped folders are listed (text and JSON) and make the exit code 1; --exclude leaves them out quietly")
    func profileSkipsAreListed() async throws {
        let server = try Self.loopbackServer()
        defer { server.stop() }
        let directory = try TemporaryDirectory("profile-skips")
        defer { directory.remove() }
        let base = [
            "copy", "imap://me@127.0.0.1:\(server.port)", "maildir:\(directory.file("out"))", "--allow-plaintext", "--no-checkpoint",
            "--source-profile", "protonmail-bridge",
        ]
        let run = try await BuiltProducts.run(base + ["--json"], environment: Self.environment)
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        let report = try json(run.stdout)
        #expect(report["outcome"] as? String == "partial")
        let skipped = try #require(report["skippedFolders"] as? [[String: Any]])
        #expect(skipped.compactMap { $0["folder"] as? String }.sorted() == ["All Mail", "Starred"])
        #expect(skipped.allSatisfy { ($0["reason"] as? String)?.contains("protonmail-bridge") == true })
        #expect(!FileManager.default.fileExists(atPath: directory.file("out/.All Mail")))
        let text = try await BuiltProducts.run(base, environment: Self.environment)
        #expect(text.status == 1)
        #expect(text.stdout.contains("Folders not copied (2):"), "\(text.stdout)")
        let plan = try await BuiltProducts.run(base + ["--dry-run"], environment: Self.environment)
        #expect(plan.status == 1, "\(plan.stdout)")
        #expect(plan.stdout.contains("Folders not copied (2):"), "\(plan.stdout)")
        let excluded = try await BuiltProducts.run(
            base + ["--exclude", "All Mail", "--exclude", "Starred"], environment: Self.environment)
        #expect(excluded.status == 0, "\(excluded.stdout)\(excluded.stderr)")
        #expect(!excluded.stdout.contains("Folders not copied"))
    }

    /// Three messages of which only one is over 2 KiB.
    static func threeMessages(_ directory: TemporaryDirectory) throws -> String {
        var text = ""
        for index in 0..<3 {
            let body = index == 1 ? String(repeating: "long line of text to make it big\n", count: 200) : "short\n"
            text += "From a@example.com Mon Mar  4 09:15:0\(index) 2024\nSubject: \(index)\nMessage-ID: <m\(index)@example.com>\n\n\(body)\n"
        }
        try directory.write("three.mbox", text)
        return directory.file("three.mbox")
    }

    @Test("--dry-run applies the filter and reads the checkpoint: it plans what the real run copies, and says nothing to do on a finished job")
    func dryRunFollowsFilterAndCheckpoint() async throws {
        let directory = try TemporaryDirectory("dry-filter")
        defer { directory.remove() }
        let source = try Self.threeMessages(directory)
        let job = ["copy", "mbox:\(source)", "maildir:\(directory.file("out"))", "--checkpoint", directory.file("job.sqlite")]
        let filtered = try await BuiltProducts.run(job + ["--min-size", "2K", "--dry-run", "--json"])
        #expect(filtered.status == 0, "\(filtered.stdout)\(filtered.stderr)")
        let plannedFolders = try #require(try json(filtered.stdout)["folders"] as? [[String: Any]])
        #expect(plannedFolders.first?["plannedMessages"] as? Int == 1, "\(filtered.stdout)")
        #expect(plannedFolders.first?["filtered"] as? Int == 2)
        #expect(!FileManager.default.fileExists(atPath: directory.file("job.sqlite")))  // a plan writes no checkpoint
        let real = try await BuiltProducts.run(job + ["--min-size", "2K", "--json"])
        #expect((try json(real.stdout)["totals"] as? [String: Any])?["copied"] as? Int == 1, "\(real.stdout)")
        // The rest, planned with the checkpoint: the copied one is not planned again.
        let rest = try await BuiltProducts.run(job + ["--dry-run", "--json"])
        let restFolders = try #require(try json(rest.stdout)["folders"] as? [[String: Any]])
        #expect(restFolders.first?["plannedMessages"] as? Int == 2, "\(rest.stdout)")
        _ = try await BuiltProducts.run(job)
        let finished = try await BuiltProducts.run(job + ["--dry-run"])
        #expect(finished.status == 0)
        #expect(finished.stdout.contains("Nothing to do: all 3 messages in 1 folder were copied before; nothing was written."), "\(finished.stdout)")
    }

    @Test("archive --dry-run leaves out what earlier archive runs took (the checkpoint, read-only)")
    func archiveDryRunReadsTheCheckpoint() async throws {
        let directory = try TemporaryDirectory("dry-archive")
        defer { directory.remove() }
        let source = try Self.threeMessages(directory)
        let job = [
            "archive", "mbox:\(source)", "--to", directory.file("archives"), "--older-than", "1y", "--include-unread",
            "--checkpoint", directory.file("job.sqlite"),
        ]
        let before = try await BuiltProducts.run(job + ["--dry-run", "--json"])
        #expect(before.status == 0, "\(before.stdout)\(before.stderr)")
        #expect((try json(before.stdout)["folders"] as? [[String: Any]])?.first?["plannedMessages"] as? Int == 3, "\(before.stdout)")
        let real = try await BuiltProducts.run(job)
        #expect(real.status == 0, "\(real.stdout)\(real.stderr)")
        let after = try await BuiltProducts.run(job + ["--dry-run"])
        #expect(after.status == 0)
        #expect(after.stdout.contains("Nothing to do: all 3 messages in 1 folder were copied before"), "\(after.stdout)")
    }

    @Test("an empty source says so, not \"all 0 messages … copied before\"")
    func emptySource() async throws {
        let directory = try TemporaryDirectory("empty-source")
        defer { directory.remove() }
        try directory.write("empty.mbox", "")
        let run = try await BuiltProducts.run(["copy", "mbox:\(directory.file("empty.mbox"))", "maildir:\(directory.file("out"))", "--no-checkpoint"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("Nothing to do: no messages in 1 folder"), "\(run.stdout)")
        #expect(!run.stdout.contains("all 0"))
    }

    @Test("a store that cannot be opened still gets a JSON report (outcome failed), printed with --json and written to --report")
    func reportWhenAStoreCannotBeOpened() async throws {
        let directory = try TemporaryDirectory("open-report")
        defer { directory.remove() }
        let commands: [(String, [String])] = [
            ("copy", ["copy", "mbox:\(directory.file("missing.mbox"))", "maildir:\(directory.file("out"))"]),
            ("verify", ["verify", "mbox:\(directory.file("missing.mbox"))", "maildir:\(directory.file("out"))"]),
            ("archive", ["archive", "mbox:\(directory.file("missing.mbox"))", "--to", directory.file("archives"), "--older-than", "1y"]),
            ("verify-archive", ["verify", "archive:\(directory.file("missing.tar.zst"))"]),
        ]
        for (name, arguments) in commands {
            let file = directory.file("\(name)-report.json")
            try directory.write("\(name)-report.json", "{\"outcome\":\"complete\"}\n")  // the previous run's success
            let run = try await BuiltProducts.run(arguments + ["--json", "--report", file])
            #expect(run.status == 3, "\(name): \(run.stderr)")
            let printed = try json(run.stdout)
            let written = try json(String(decoding: try directory.read("\(name)-report.json"), as: UTF8.self))
            for report in [printed, written] {
                let stopped = try #require(report["stoppedBy"], "\(name): \(report)")
                #expect("\(stopped)".contains(directory.file("missing.")), "\(name): \(stopped)")
                if !name.hasPrefix("verify") { #expect(report["outcome"] as? String == "failed", "\(name)") }
            }
        }
        // A refused checkpoint (another job's) is reported the same way.
        _ = try await BuiltProducts.run(["copy", "mbox:\(sampleMbox)", "maildir:\(directory.file("one"))", "--checkpoint", directory.file("job.sqlite")])
        let refused = try await BuiltProducts.run(
            ["copy", "mbox:\(sampleMbox)", "maildir:\(directory.file("two"))", "--checkpoint", directory.file("job.sqlite"), "--json"])
        #expect(refused.status == 4)
        #expect(try json(refused.stdout)["outcome"] as? String == "failed", "\(refused.stdout)")
    }

    @Test("a refused connection is said in plain words with host and port, not the network library's types")
    func connectionRefusedInPlainWords() async throws {
        // A port with nothing behind it: bound, then closed.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        close(fd)
        #expect(port > 0)
        let directory = try TemporaryDirectory("refused")
        defer { directory.remove() }
        let run = try await BuiltProducts.run(
            ["copy", "imap://me@127.0.0.1:\(port)", "maildir:\(directory.file("out"))", "--allow-plaintext", "--no-checkpoint"],
            environment: Self.environment)
        #expect(run.status == 3)
        #expect(run.stderr.contains("127.0.0.1:\(port)"), "\(run.stderr)")
        #expect(run.stderr.contains("refused"), "\(run.stderr)")
        #expect(!run.stderr.contains("SingleConnectionFailure") && !run.stderr.contains("errno"), "\(run.stderr)")
    }

    @Test("a broken user profile is a warning for commands that do not use it, and an error naming it for one that does")
    func brokenUserProfileOnlyFailsItsUsers() async throws {
        let directory = try TemporaryDirectory("broken-profile")
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.file("config/mailferry/profiles"), withIntermediateDirectories: true)
        try directory.write("config/mailferry/profiles/mine.toml", "name = \"mine\"\ndisplay_name = \"Mine\"\n[imap]\nhots = \"x\"\n")
        let environment = ["XDG_CONFIG_HOME": directory.file("config")]
        let copy = try await BuiltProducts.run(
            ["copy", "mbox:\(sampleMbox)", "maildir:\(directory.file("out"))", "--no-checkpoint"], environment: environment)
        #expect(copy.status == 0, "\(copy.stderr)")
        #expect(copy.stderr.contains("mine.toml:4:"), "\(copy.stderr)")
        let named = try await BuiltProducts.run(
            ["copy", "mine://me@example.com", "maildir:\(directory.file("out2"))", "--no-checkpoint"], environment: environment)
        #expect(named.status == 2)
        #expect(named.stderr.contains("mine.toml:4:"), "\(named.stderr)")
    }

    @Test("user profiles are found under $HOME/.config when XDG_CONFIG_HOME is not set")
    func profilesUnderHome() async throws {
        let directory = try TemporaryDirectory("home-profiles")
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.file(".config/mailferry/profiles"), withIntermediateDirectories: true)
        try directory.write(
            ".config/mailferry/profiles/homemade.toml",
            "name = \"homemade\"\ndisplay_name = \"Home made\"\n[imap]\nhost = \"imap.home.example\"\nport = 993\nsecurity = \"tls\"\n")
        let list = try await BuiltProducts.run(["profiles", "list"], environment: ["HOME": directory.path, "XDG_CONFIG_HOME": ""])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("homemade"), "\(list.stdout)")
    }
}
