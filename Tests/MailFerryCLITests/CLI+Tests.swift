import Foundation
import MailCore
import MailTesting
import Testing

/// The repository's bundled sample mailbox.
let sampleMbox = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("samples/sample.mbox").path

func json(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

@Suite("The mailferry command", .serialized)
struct CLITests {
    @Test("the binary was built (the tests below need it)")
    func binaryExists() {
        #expect(BuiltProducts.mailferry() != nil, "build with `swift build` before `swift test --skip-build`")
    }

    @Test("--version and --help on every command exit 0", arguments: [
        ["--version"], ["--help"], ["copy", "--help"], ["folders", "--help"], ["help", "copy"],
    ])
    func help(arguments: [String]) async throws {
        let result = try await BuiltProducts.run(arguments)
        #expect(result.status == 0)
        if arguments == ["--version"] {
            #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == MailFerryVersion.current)
        } else {
            #expect(result.stdout.contains("USAGE"))
        }
    }

    @Test("copies the sample mbox into a Maildir and reports in JSON")
    func copySample() async throws {
        let directory = try TemporaryDirectory("cli-copy")
        defer { directory.remove() }
        let result = try await BuiltProducts.run([
            "copy", "mbox:\(sampleMbox)", "maildir:\(directory.file("Maildir"))", "--json", "--report", directory.file("report.json"),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try json(result.stdout)
        #expect(report["outcome"] as? String == "complete")
        let totals = try #require(report["totals"] as? [String: Any])
        #expect(totals["copied"] as? Int == 7)
        #expect(totals["failed"] as? Int == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.file("Maildir/cur"))
        #expect(files.count == 7)
        #expect(files.contains { $0.hasSuffix(":2,ST") })  // the message marked deleted keeps \Deleted
        #expect(files.contains { $0.hasSuffix(":2,DS") })  // the draft
        #expect(try json(String(decoding: directory.read("report.json"), as: UTF8.self))["outcome"] as? String == "complete")
        let keywords = String(decoding: try directory.read("Maildir/dovecot-keywords"), as: UTF8.self)
        #expect(keywords.contains("ProjectX") && keywords.contains("$Junk") && keywords.contains("$MDNSent"))
    }

    @Test("usage and configuration errors exit 2", arguments: [
        ["copy"], ["copy", "mbox:a"], ["copy", "/no/scheme", "maildir:/tmp/x"], ["copy", "ftp://x", "maildir:/tmp/x"],
        ["copy", "nosuchprofile://me@example.com", "maildir:/tmp/x"], ["copy", "imaps://me:pw@127.0.0.1", "maildir:/tmp/x"], ["copy", "mbox:a", "maildir:b", "--mbox-dialect", "weird"],
        ["copy", "mbox:a", "maildir:b", "--to-folder", "a//b"], ["frobnicate"],
        ["copy", "maildir:/tmp/same", "maildir:/tmp/same/"], ["copy", "maildir:/tmp/tree", "mbox:/tmp/tree/inside.mbox"],
    ])
    func usageErrors(arguments: [String]) async throws {
        let result = try await BuiltProducts.run(arguments)
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(!result.stderr.isEmpty)
    }

    @Test("a store that cannot be opened exits 3 and names it")
    func unopenable() async throws {
        let directory = try TemporaryDirectory("cli-open")
        defer { directory.remove() }
        try directory.write("plain-file", "x")
        let missing = try await BuiltProducts.run(["copy", "mbox:\(directory.file("missing.mbox"))", "maildir:\(directory.file("out"))"])
        #expect(missing.status == 3)
        #expect(missing.stderr.contains(directory.file("missing.mbox")))
        let unwritable = try await BuiltProducts.run(["copy", "mbox:\(sampleMbox)", "maildir:\(directory.file("plain-file/Maildir"))"])
        #expect(unwritable.status == 3)
        #expect(unwritable.stderr.contains("cannot open destination"))
        let notMbox = try await BuiltProducts.run(["copy", "mbox:\(directory.file("plain-file"))", "maildir:\(directory.file("out"))"])
        #expect(notMbox.status == 3)
        #expect(notMbox.stderr.contains("not an mbox file"))
    }

    @Test("bad messages are listed with file, number and line; the rest is copied; exit 1")
    func partial() async throws {
        let directory = try TemporaryDirectory("cli-partial")
        defer { directory.remove() }
        try directory.write(
            "bad.mbox",
            "From a Mon Mar  4 09:15:02 2024\nSubject: fine\n\n1\n\nFrom b Mon Mar  4 09:15:02 2024\nno header here\n\n"
                + "From c\nSubject: no date in the From line\n\n3\n")
        let before = try directory.read("bad.mbox")
        let result = try await BuiltProducts.run(["copy", "mbox:\(directory.file("bad.mbox"))", "maildir:\(directory.file("out"))", "--json"])
        #expect(result.status == 1)
        let report = try json(result.stdout)
        #expect(report["outcome"] as? String == "partial")
        let failures = try #require(report["failures"] as? [[String: Any]])
        #expect(failures.count == 1)
        #expect(failures.first?["message"] as? Int == 2)
        #expect(failures.first?["line"] as? Int == 6)
        #expect(failures.first?["file"] as? String == directory.file("bad.mbox"))
        let warnings = try #require(report["warnings"] as? [[String: Any]])
        #expect(warnings.first?["message"] as? Int == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("out/cur")).count == 2)
        #expect(try directory.read("bad.mbox") == before)  // the source is never modified
        let text = try await BuiltProducts.run(["copy", "mbox:\(directory.file("bad.mbox"))", "maildir:\(directory.file("out2"))"])
        #expect(text.stdout.contains("INBOX: message 2 (file \(directory.file("bad.mbox")), line 6): message has no header section"))
    }

    @Test("--dry-run shows the plan and writes nothing")
    func dryRun() async throws {
        let directory = try TemporaryDirectory("cli-dry")
        defer { directory.remove() }
        let result = try await BuiltProducts.run(["copy", "mbox:\(sampleMbox)", "maildir:\(directory.file("out"))", "--dry-run", "--to-folder", "Old/2024"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("INBOX   → Old/2024  7 messages"))
        #expect(result.stdout.contains("nothing was written"))
        #expect(!FileManager.default.fileExists(atPath: directory.file("out")))
    }

    @Test("folders lists counts and sizes, as text and JSON")
    func folders() async throws {
        let directory = try TemporaryDirectory("cli-folders")
        defer { directory.remove() }
        _ = try await BuiltProducts.run(["copy", "mbox:\(sampleMbox)", "maildir:\(directory.file("md"))", "--to-folder", "Archive/2024"])
        _ = try await BuiltProducts.run(["copy", "mbox:\(sampleMbox)", "maildir:\(directory.file("md"))"])
        let result = try await BuiltProducts.run(["folders", "maildir:\(directory.file("md"))", "--json"])
        #expect(result.status == 0)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["folder"] as? String } == ["INBOX", "Archive/2024"])
        #expect(rows.map { $0["messages"] as? Int } == [7, 7])
        let text = try await BuiltProducts.run(["folders", "mbox:\(sampleMbox)"])
        #expect(text.stdout.contains("1 folder, 7 messages"))
    }
}

@Suite("The mailferry command with IMAP", .enabled(if: TestServer.isAvailable, TestServer.skipReason), .serialized)
struct CLIIMAPTests {
    let server = TestServer.current!

    var environment: [String: String] {
        ["MAILFERRY_SOURCE_PASSWORD": server.password, "MAILFERRY_DEST_PASSWORD": server.password]
    }

    @Test("copies the sample mbox into an IMAP folder and back, with a report")
    func mboxToIMAP() async throws {
        try server.reset(user: "erin")
        let directory = try TemporaryDirectory("cli-imap")
        defer { directory.remove() }
        let url = "imaps://erin@\(server.host):\(server.imapsPort)"
        let up = try await BuiltProducts.run(["copy", "mbox:\(sampleMbox)", "\(url)/Old Mail", "--ca-file", server.caFile, "--json"], environment: environment)
        #expect(up.status == 0, "\(up.stderr)")
        #expect(try json(up.stdout)["outcome"] as? String == "complete")
        let down = try await BuiltProducts.run(["copy", "\(url)/Old Mail", "mbox:\(directory.file("back.mbox"))", "--ca-file", server.caFile], environment: environment)
        #expect(down.status == 0, "\(down.stderr)")
        let original = try await BuiltProducts.run(["folders", "mbox:\(sampleMbox)", "--json"])
        let back = try await BuiltProducts.run(["folders", "mbox:\(directory.file("back.mbox"))", "--json"])
        #expect(original.stdout.contains("\"messages\" : 7") && back.stdout.contains("\"messages\" : 7"))
        #expect(!up.stderr.contains(server.password) && !up.stdout.contains(server.password))
    }

    @Test("a wrong password exits 3 and says why")
    func wrongPassword() async throws {
        let result = try await BuiltProducts.run(
            ["folders", "imaps://erin@\(server.host):\(server.imapsPort)", "--ca-file", server.caFile],
            environment: ["MAILFERRY_SOURCE_PASSWORD": "not-the-password"])
        #expect(result.status == 3)
        #expect(result.stderr.contains("authentication failed"))
    }

    @Test("a certificate from an untrusted CA exits 3; the system trust store does not know the test CA either")
    func untrustedCertificate() async throws {
        for arguments in [["--ca-file", server.otherCAFile], []] {
            let result = try await BuiltProducts.run(
                ["folders", "imaps://erin@\(server.host):\(server.imapsPort)"] + arguments, environment: environment)
            #expect(result.status == 3)
            #expect(result.stderr.contains("TLS"))
        }
    }

    @Test("--tls-insecure connects anyway and warns loudly")
    func insecure() async throws {
        let result = try await BuiltProducts.run(["folders", "imaps://erin@\(server.host):\(server.imapsPort)", "--tls-insecure"], environment: environment)
        #expect(result.status == 0)
        #expect(result.stderr.contains("WARNING: TLS certificate verification is OFF"))
    }
}
