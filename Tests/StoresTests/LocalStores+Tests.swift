import Engine
import IMAPClient
import Foundation
import MailCore
import MailFormats
import MailTesting
import Stores
import Testing

@Suite("Local stores: directories, bad input, safety")
struct LocalStoreTests {
    @Test("a Thunderbird profile folder lists as a tree; index files are ignored, other files reported")
    func thunderbirdTree() async throws {
        let directory = try TemporaryDirectory("tb")
        defer { directory.remove() }
        let message = "From - Mon Mar  4 09:15:02 2024\nX-Mozilla-Status: 0001\nSubject: s\n\nx\n\n"
        try directory.write("Inbox", message)
        try directory.write("Inbox.msf", "// index")
        try directory.write("Archives", message)
        try directory.write("Archives.sbd/2021", message + message)
        try directory.write("Archives.sbd/2021.msf", "// index")
        try directory.write("Trash", "")
        try directory.write("filterlog.html", "<html>")
        try directory.write("notes.txt", "not mail")
        try directory.write("Old.mbox/mbox", message)  // Apple Mail export
        let source = try await StoreFactory.openSource(.mbox(path: directory.path))
        let folders = try await source.listFolders()
        #expect(folders.map(\.path.displayName) == ["INBOX", "Archives", "Archives/2021", "Old", "Trash"])
        #expect(folders.first { $0.path.displayName == "Trash" }?.path.role == .trash)
        let problems = await source.listingProblems()
        #expect(problems.map(\.path) == [directory.file("notes.txt")])
        let all = try await contents(of: source)
        #expect(all["Archives/2021"]?.count == 2)
        #expect(all["INBOX"]?.first?.flags == FlagSet([.seen]))
    }

    @Test("a folder tree written into an mbox directory reads back the same")
    func mboxDirectorySink() async throws {
        let directory = try TemporaryDirectory("mboxdir")
        defer { directory.remove() }
        let sink = try await StoreFactory.openSink(.mbox(path: directory.file("out/")))
        for name in ["INBOX", "Projects/Alpha/Specs", "..", "Notes.sbd"] {
            let path = FolderPath(parsing: name, delimiter: "/")!
            let writer = try await sink.openFolder(path, subscribe: true)
            _ = try await writer.store([MessageEnvelope(bytes: Array("Subject: \(name)\n\nx\n".utf8), folder: path, key: SourceKey(name))])
            try await writer.close()
        }
        #expect(FileManager.default.fileExists(atPath: directory.file("out/Projects.sbd/Alpha.sbd/Specs")))
        #expect(FileManager.default.fileExists(atPath: directory.file("out/Projects")))  // parents exist, as Thunderbird expects
        #expect(FileManager.default.fileExists(atPath: directory.file("out/\\2e\\2e")))
        let back = try await contents(of: await StoreFactory.openSource(.mbox(path: directory.file("out"))))
        #expect(back.filter { !$0.value.isEmpty }.keys.sorted() == ["..", "INBOX", "Notes.sbd", "Projects/Alpha/Specs"])
    }

    @Test("an unreadable Maildir file is reported with its path; the rest is copied; the source is untouched")
    func unreadableMaildirFile() async throws {
        let directory = try TemporaryDirectory("unreadable")
        defer { directory.remove() }
        let sink = try await StoreFactory.openSink(.maildir(path: directory.file("src")))
        let writer = try await sink.openFolder(.inbox, subscribe: true)
        _ = try await writer.store((0..<3).map { MessageEnvelope(bytes: Array("Subject: \($0)\n\nx\n".utf8), folder: .inbox, key: SourceKey("\($0)")) })
        try await writer.close()
        let dangling = directory.file("src/cur/0000000001.broken:2,S")
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: directory.file("nowhere"))
        let before = try FileManager.default.contentsOfDirectory(atPath: directory.file("src/cur")).sorted()
        let report = try await copy(.maildir(path: directory.file("src")), .maildir(path: directory.file("dst")))
        #expect(report.outcome == .partial)
        #expect(report.totals.copied == 3)
        #expect(report.failures.count == 1)
        #expect(report.failures.first?.file == dangling)
        #expect(report.failures.first?.message == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("src/cur")).sorted() == before)
    }

    @Test("stores that cannot be opened fail at once with the path")
    func unopenable() async throws {
        let directory = try TemporaryDirectory("unopenable")
        defer { directory.remove() }
        try directory.write("file", "x")
        await #expect { try await StoreFactory.openSource(.maildir(path: directory.file("missing"))) } throws: { error in
            (error as? MailError)?.scope == .store && (error as? MailError)?.code == .notFound
        }
        await #expect { try await StoreFactory.openSink(.maildir(path: directory.file("file/inside"))) } throws: { error in
            (error as? MailError)?.scope == .store
        }
        await #expect { try await StoreFactory.openSink(.mbox(path: directory.file("nodir/box.mbox"))) } throws: { error in
            (error as? MailError)?.scope == .store && (error as? MailError)?.path == directory.file("nodir")
        }
        await #expect { try await StoreFactory.openSource(.mbox(path: directory.file("missing.mbox"))) } throws: { error in
            (error as? MailError)?.code == .notFound
        }
    }

    @Test("endpoints parse; unknown and future schemes say so", arguments: [
        ("maildir:/srv/mail", "maildir:/srv/mail"), ("pop3s://me@pop.example.com", "pop3s://me@pop.example.com"),
        ("pop3://me%40example.com@[::1]:1110", "pop3://me%40example.com@[::1]:1110"), ("POP3S://me@h:995", "pop3s://me@h"), ("mbox:old.mbox.gz", "mbox:old.mbox.gz"), ("maildir:///abs", "maildir:/abs"),
        ("archive:/srv/mail-2024.tar.zst", "archive:/srv/mail-2024.tar.zst"), ("archive:///abs.zip", "archive:/abs.zip"),
    ])
    func endpoints(text: String, expected: String) throws {
        #expect(try StoreEndpoint(parsing: text).description == expected)
    }

    @Test("bad endpoints are usage errors")
    func badEndpoints() {
        #expect { try StoreEndpoint(parsing: "/just/a/path") } throws: { ($0 as? MailError)?.code == .invalidEndpoint }
        #expect { try StoreEndpoint(parsing: "ftp://x") } throws: { ($0 as? MailError)?.code == .invalidEndpoint }
        // Profile URLs (gmail://) are resolved by the command line; the store layer knows only real schemes.
        #expect { try StoreEndpoint(parsing: "gmail://me@gmail.com") } throws: { ($0 as? MailError)?.code == .invalidEndpoint }
        #expect { try StoreEndpoint(parsing: "archive:") } throws: { ($0 as? MailError)?.code == .invalidEndpoint }
        #expect { try StoreEndpoint(parsing: "pop3s://host") } throws: { ($0 as? MailError)?.code == .invalidEndpoint }
        #expect { try StoreEndpoint(parsing: "pop3://me@host:99999") } throws: { ($0 as? MailError)?.code == .invalidEndpoint }
        #expect { try StoreEndpoint(parsing: "imaps://me:secret@host") } throws: { ($0 as? MailError)?.summary.contains("password in the URL") == true }
        #expect { try StoreEndpoint(parsing: "imaps://host") } throws: { ($0 as? MailError)?.code == .invalidEndpoint }
        #expect { try StoreEndpoint(parsing: "mbox:") } throws: { ($0 as? MailError)?.code == .invalidEndpoint }
    }
}

@Suite("IMAP endpoints")
struct IMAPEndpointTests {
    @Test("parse users, hosts, ports, folders; defaults per scheme", arguments: [
        ("imaps://me@example.org", "me", "example.org", 993, nil),
        ("imap://me%40gmail.com@imap.gmail.com:1143/Archive/2019", "me@gmail.com", "imap.gmail.com", 1143, "Archive/2019"),
        ("imaps://u@[::1]:9993/INBOX", "u", "::1", 9993, "INBOX"),
        ("imaps://u@host/Sent%20Items", "u", "host", 993, "Sent Items"),
    ])
    func parse(text: String, user: String, host: String, port: Int, folder: String?) throws {
        guard case .imap(let endpoint) = try StoreEndpoint(parsing: text) else {
            Issue.record("not an IMAP endpoint")
            return
        }
        #expect(endpoint.username == user)
        #expect(endpoint.host == host)
        #expect(endpoint.port == port)
        #expect(endpoint.folder?.displayName == folder)
        #expect(endpoint.security == (text.hasPrefix("imaps") ? .implicitTLS : .startTLS))
    }
}
