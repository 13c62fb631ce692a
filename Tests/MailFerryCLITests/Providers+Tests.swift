import Foundation
import MailCore
import MailTesting
import Testing

/// Provider behaviour Dovecot cannot show — Gmail's labels and duplicate handling, Office 365's
/// throttling and reserved names, connection limits — against ``FakeIMAPServer`` (in this
/// process, 127.0.0.1, no TLS: hence `--allow-plaintext`).
@Suite("Gmail and Office 365 behaviour (fake servers)", .serialized)
struct ProviderCLITests {
    static let environment = ["MAILFERRY_SOURCE_PASSWORD": "secret", "MAILFERRY_DEST_PASSWORD": "secret"]
    static let date = Date(timeIntervalSince1970: 1_709_543_702)

    static func message(_ id: String, subject: String = "hello") -> [UInt8] {
        Array("From: a@example.com\r\nSubject: \(subject)\r\nMessage-ID: <\(id)@example.com>\r\n\r\nBody of \(id)\r\n".utf8)
    }

    static func url(_ server: FakeIMAPServer) -> String { "imap://me%40gmail.com@127.0.0.1:\(server.port)" }

    /// Maildir file contents by folder directory (`.` for INBOX), and each file's flag letters.
    static func maildir(_ root: String) throws -> [String: [(bytes: String, info: String)]] {
        var result: [String: [(String, String)]] = [:]
        let folders = ["."] + (try FileManager.default.contentsOfDirectory(atPath: root)).filter { $0.hasPrefix(".") }
        for folder in folders {
            let cur = "\(root)/\(folder)/cur"
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: cur) else { continue }
            for name in names.sorted() {
                let bytes = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(cur)/\(name)")), as: UTF8.self)
                result[folder, default: []].append((bytes, String(name.split(separator: ",").last ?? "")))
            }
        }
        return result
    }

    static func gmailWithLabels() throws -> FakeIMAPServer {
        let server = try FakeIMAPServer(.gmail())
        try server.appendGmail(bytes: message("inbox"), labels: ["\\Inbox"], flags: ["\\Seen"], internalDate: date)
        try server.appendGmail(bytes: message("work"), labels: ["\\Inbox", "Work"], flags: ["\\Seen"], internalDate: date)
        try server.appendGmail(bytes: message("sent"), labels: ["\\Sent"], flags: ["\\Seen"], internalDate: date)
        try server.appendGmail(bytes: message("archived"), labels: [], flags: ["\\Seen"], internalDate: date)
        try server.appendGmail(
            bytes: message("project"), labels: ["Work/Projects", "\\Starred", "\\Important"], flags: [], internalDate: date)
        return server
    }

    @Test("Gmail, one folder per message: All Mail read once, labels as folders and keywords, archived mail kept; a rerun copies nothing")
    func gmailOneFolder() async throws {
        let server = try Self.gmailWithLabels()
        defer { server.stop() }
        let directory = try TemporaryDirectory("gmail-one")
        defer { directory.remove() }
        let arguments = [
            "copy", Self.url(server), "maildir:\(directory.file("out"))", "--allow-plaintext", "--json",
            "--checkpoint", directory.file("job.sqlite"),
        ]
        let run = try await BuiltProducts.run(arguments, environment: Self.environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let copied = try Self.maildir(directory.file("out"))
        #expect(copied.mapValues(\.count) == [".": 1, ".Work": 1, ".Sent": 1, ".Archive": 1, ".Work.Projects": 1], "\(copied.keys)")
        #expect(copied["."]?.first?.bytes.contains("<inbox@") == true)
        #expect(copied[".Work"]?.first?.bytes.contains("<work@") == true)
        #expect(copied[".Archive"]?.first?.bytes.contains("<archived@") == true)
        // Other labels as keywords (Work's message was also in INBOX); Starred → \Flagged; Important → $Important.
        let keywords = String(decoding: try directory.read("out/.Work/dovecot-keywords"), as: UTF8.self)
        #expect(keywords.contains("INBOX"))
        let projects = String(decoding: try directory.read("out/.Work.Projects/dovecot-keywords"), as: UTF8.self)
        #expect(projects.contains("$Important"))
        #expect(copied[".Work.Projects"]?.first?.info.contains("F") == true)
        // All Mail was read once for the labels, and no label folder was read at all.
        let selected = server.log.map(\.line).filter { $0.uppercased().contains("EXAMINE") || $0.uppercased().contains("SELECT") }
        #expect(selected.allSatisfy { $0.contains("All Mail") || $0.contains("Spam") || $0.contains("Trash") }, "\(selected)")
        #expect(server.log.contains { $0.line.contains("X-GM-LABELS") && $0.line.contains("X-GM-MSGID") })
        let again = try await BuiltProducts.run(arguments, environment: Self.environment)
        #expect((try json(again.stdout)["totals"] as? [String: Any])?["copied"] as? Int == 0, "\(again.stdout)")
        // verify sees the same label folders copy made, and finds everything.
        let verify = try await BuiltProducts.run(
            ["verify", Self.url(server), "maildir:\(directory.file("out"))", "--allow-plaintext"], environment: Self.environment)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    @Test("Gmail, labels changed between runs: a relabelled message is not copied again into its new folder; a new one is")
    func gmailRelabelled() async throws {
        let server = try Self.gmailWithLabels()
        defer { server.stop() }
        let directory = try TemporaryDirectory("gmail-relabel")
        defer { directory.remove() }
        let arguments = [
            "copy", Self.url(server), "maildir:\(directory.file("out"))", "--allow-plaintext", "--json",
            "--checkpoint", directory.file("job.sqlite"),
        ]
        let first = try await BuiltProducts.run(arguments, environment: Self.environment)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let id = try #require(
            server.messages(in: "[Gmail]/All Mail").first { String(decoding: $0.bytes, as: UTF8.self).contains("<inbox@") }?.gmailMessageID)
        #expect(try server.setGmailLabels(id, ["Travel"]))  // moved from INBOX to a new label
        try server.appendGmail(bytes: Self.message("trip"), labels: ["Travel"], flags: ["\\Seen"], internalDate: Self.date)
        let second = try await BuiltProducts.run(arguments, environment: Self.environment)
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect((try json(second.stdout)["totals"] as? [String: Any])?["copied"] as? Int == 1, "\(second.stdout)")
        let copied = try Self.maildir(directory.file("out"))
        #expect(copied[".Travel"]?.map { $0.bytes.contains("<trip@") } == [true], "\(copied.mapValues(\.count))")
        #expect(copied["."]?.count == 1)  // the first copy stays where it was
        // verify agrees: the relabelled message is in another folder, not missing.
        let verify = try await BuiltProducts.run(
            ["verify", Self.url(server), "maildir:\(directory.file("out"))", "--allow-plaintext"], environment: Self.environment)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("1 in another folder, relabelled since the copy"), "\(verify.stdout)")

        // --sync-flags reaches label folders: read on Gmail, the Travel message is now \Seen … and
        // the work message keeps its INBOX keyword (a label) while gaining \Flagged.
        let work = try #require(
            server.messages(in: "[Gmail]/All Mail").first { String(decoding: $0.bytes, as: UTF8.self).contains("<work@") }?.gmailMessageID)
        #expect(server.setFlags(work, ["\\Seen", "\\Flagged"]))
        let synced = try await BuiltProducts.run(arguments + ["--sync-flags"], environment: Self.environment)
        #expect(synced.status == 0, "\(synced.stdout)\(synced.stderr)")
        #expect((try json(synced.stdout)["totals"] as? [String: Any])?["flagsUpdated"] as? Int == 1, "\(synced.stdout)")
        let after = try Self.maildir(directory.file("out"))
        let info = try #require(after[".Work"]?.first?.info)
        #expect(info.contains("F") && info.contains("S"), "\(info)")
        #expect(info.contains { $0.isLowercase }, "\(info)")  // a keyword letter: INBOX, a label, is still there
    }

    @Test("Gmail, one copy per label: a message with two labels is in both folders")
    func gmailPerLabel() async throws {
        let server = try Self.gmailWithLabels()
        defer { server.stop() }
        let directory = try TemporaryDirectory("gmail-per-label")
        defer { directory.remove() }
        let run = try await BuiltProducts.run(
            [
                "copy", Self.url(server), "maildir:\(directory.file("out"))", "--allow-plaintext", "--no-checkpoint",
                "--gmail-labels", "per-label", "--unlabelled-folder", "Gmail Archive",
            ], environment: Self.environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let copied = try Self.maildir(directory.file("out"))
        #expect(copied["."]?.count == 2)
        #expect(copied[".Work"]?.count == 1)
        #expect(copied[".Gmail Archive"]?.count == 1)
    }

    @Test("into Gmail: the same message in two folders becomes one message with two labels, and a rerun uploads nothing")
    func gmailDestination() async throws {
        let server = try FakeIMAPServer(.gmail())
        defer { server.stop() }
        let directory = try TemporaryDirectory("gmail-destination")
        defer { directory.remove() }
        let root = directory.file("Maildir")
        for folder in ["", ".Work"] {
            for sub in ["cur", "new", "tmp"] {
                try FileManager.default.createDirectory(atPath: "\(root)/\(folder)/\(sub)", withIntermediateDirectories: true)
            }
            try Data(Self.message("shared")).write(to: URL(fileURLWithPath: "\(root)/\(folder)/cur/1700000000.M1P1.t:2,S"))
        }
        let arguments = [
            "copy", "maildir:\(root)", Self.url(server), "--allow-plaintext", "--json", "--checkpoint", directory.file("job.sqlite"),
        ]
        let run = try await BuiltProducts.run(arguments, environment: Self.environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect((try json(run.stdout)["totals"] as? [String: Any])?["copied"] as? Int == 2)
        let all = server.messages(in: "[Gmail]/All Mail")
        #expect(all.count == 1)
        #expect(Set(all.first?.labels ?? []) == ["\\Inbox", "Work"])
        let appends = server.count(of: "APPEND")
        let again = try await BuiltProducts.run(arguments, environment: Self.environment)
        #expect(again.status == 0)
        #expect(server.count(of: "APPEND") == appends)
        #expect(server.messages(in: "[Gmail]/All Mail").count == 1)
    }

    @Test("Office 365: a throttled APPEND is waited out as suggested and sent once; Files goes to Files (migrated)")
    func office365Throttle() async throws {
        let server = try FakeIMAPServer(.office365())
        defer { server.stop() }
        server.setIntercept { request in
            guard request.command == "APPEND", request.occurrence == 2 else { return nil }
            return .reply("{tag} NO [UNAVAILABLE] Request is throttled. Suggested Backoff Time: 400 milliseconds\r\n")
        }
        let directory = try TemporaryDirectory("o365-throttle")
        defer { directory.remove() }
        let root = directory.file("Maildir")
        for folder in ["", ".Files"] {
            for sub in ["cur", "new", "tmp"] {
                try FileManager.default.createDirectory(atPath: "\(root)/\(folder)/\(sub)", withIntermediateDirectories: true)
            }
        }
        for index in 0..<6 {
            try Data(Self.message("m\(index)")).write(to: URL(fileURLWithPath: "\(root)/cur/170000000\(index).M\(index)P1.t:2,S"))
        }
        try Data(Self.message("file")).write(to: URL(fileURLWithPath: "\(root)/.Files/cur/1700000009.M9P1.t:2,S"))
        let started = Date()
        let run = try await BuiltProducts.run(
            [
                "copy", "maildir:\(root)", "imap://me@127.0.0.1:\(server.port)", "--allow-plaintext", "--json",
                "--dest-profile", "office365", "--checkpoint", directory.file("job.sqlite"), "--batch-messages", "2",
            ], environment: ["MAILFERRY_DEST_OAUTH2_TOKEN": "token"])  // the profile takes tokens only
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(Date().timeIntervalSince(started) >= 0.4)
        let inbox = server.messages(in: "INBOX").map { String(decoding: $0.bytes, as: UTF8.self) }
        #expect(inbox.count == 6)
        for index in 0..<6 { #expect(inbox.filter { $0.contains("<m\(index)@") }.count == 1) }
        #expect(server.messages(in: "Files (migrated)").count == 1)
        let notes = try json(run.stdout)["notes"] as? [String] ?? []
        #expect(notes.contains { $0.contains("asked to slow down") && $0.contains("waiting 400 ms") }, "\(notes)")
        #expect(notes.contains { $0.contains("(migrated): Files") }, "\(notes)")
        #expect(run.stderr.contains("asked to slow down"))
    }

    @Test("too many connections and an expired session: the run goes on with fewer connections and loses nothing")
    func connectionLimits() async throws {
        var configuration = FakeIMAPServer.Configuration.gmail()
        configuration.maximumConnections = 2
        let server = try FakeIMAPServer(configuration)
        defer { server.stop() }
        let directory = try TemporaryDirectory("too-many")
        defer { directory.remove() }
        let root = directory.file("Maildir")
        for (folderIndex, folder) in ["", ".A", ".B", ".C"].enumerated() {
            for sub in ["cur", "new", "tmp"] {
                try FileManager.default.createDirectory(atPath: "\(root)/\(folder)/\(sub)", withIntermediateDirectories: true)
            }
            for index in 0..<3 {
                try Data(Self.message("f\(folderIndex)m\(index)"))
                    .write(to: URL(fileURLWithPath: "\(root)/\(folder)/cur/170000000\(index).M\(index)P\(folderIndex).t:2,S"))
            }
        }
        server.setIntercept { request in
            request.command == "APPEND" && request.occurrence == 3 ? .bye("Session expired, please login again.") : nil
        }
        let run = try await BuiltProducts.run(
            [
                "copy", "maildir:\(root)", Self.url(server), "--allow-plaintext", "--json", "--connections", "4",
                "--checkpoint", directory.file("job.sqlite"),
            ], environment: Self.environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let all = server.messages(in: "[Gmail]/All Mail").map { String(decoding: $0.bytes, as: UTF8.self) }
        #expect(all.count == 12)
        for folder in 0..<4 {
            for index in 0..<3 { #expect(all.filter { $0.contains("<f\(folder)m\(index)@") }.count == 1) }
        }
        #expect(server.peakConnections <= 2)
        let notes = try json(run.stdout)["notes"] as? [String] ?? []
        #expect(notes.contains { $0.contains("refused another connection") || $0.contains("Session expired") }, "\(notes)")
    }

    @Test("a profile's login order is followed: Office 365 gets no password at all, a token goes by XOAUTH2; a profile preferring LOGIN gets LOGIN")
    func profileAuthOrder() async throws {
        let server = try FakeIMAPServer(.office365())
        defer { server.stop() }
        try server.append(bytes: Self.message("one"), internalDate: Self.date)
        let directory = try TemporaryDirectory("auth-order")
        defer { directory.remove() }
        let arguments = [
            "copy", "imap://me@127.0.0.1:\(server.port)/INBOX", "maildir:\(directory.file("out"))", "--allow-plaintext",
            "--no-checkpoint", "--json", "--source-profile", "office365",
        ]
        let refused = try await BuiltProducts.run(arguments, environment: Self.environment)
        #expect(refused.status == 3, "\(refused.stdout)\(refused.stderr)")
        #expect((refused.stdout + refused.stderr).contains("takes only XOAUTH2, OAUTHBEARER"), "\(refused.stdout)\(refused.stderr)")
        let logins = server.log.map(\.line).filter { $0.uppercased().contains("LOGIN") || $0.uppercased().contains("AUTHENTICATE") }
        #expect(logins.isEmpty, "\(logins)")

        let withToken = try await BuiltProducts.run(arguments, environment: ["MAILFERRY_SOURCE_OAUTH2_TOKEN": "token"])
        #expect(withToken.status == 0, "\(withToken.stdout)\(withToken.stderr)")
        #expect(server.log.contains { $0.line.uppercased().contains("AUTHENTICATE XOAUTH2") })
        let notes = try json(withToken.stdout)["notes"] as? [String] ?? []
        #expect(notes.contains { $0.contains("logs in with XOAUTH2, OAUTHBEARER") }, "\(notes)")

        // Automatic would choose AUTHENTICATE PLAIN here; the user's profile puts LOGIN first.
        let config = directory.file("config/mailferry/profiles")
        try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: true)
        try Data(
            """
            name = "login-first"
            display_name = "Prefers LOGIN"
            [imap]
            host = "127.0.0.1"
            port = \(server.port)
            security = "none"
            auth = ["login", "plain"]
            """.utf8
        ).write(to: URL(fileURLWithPath: "\(config)/login-first.toml"))
        let plain = try FakeIMAPServer()
        defer { plain.stop() }
        try plain.append(bytes: Self.message("two"), internalDate: Self.date)
        let byLogin = try await BuiltProducts.run(
            [
                "copy", "imap://me@127.0.0.1:\(plain.port)/INBOX", "maildir:\(directory.file("out2"))", "--allow-plaintext",
                "--no-checkpoint", "--source-profile", "login-first",
            ], environment: Self.environment.merging(["XDG_CONFIG_HOME": directory.file("config")]) { $1 })
        #expect(byLogin.status == 0, "\(byLogin.stdout)\(byLogin.stderr)")
        let used = plain.log.map(\.line).filter { $0.uppercased().contains("LOGIN") || $0.uppercased().contains("AUTHENTICATE") }
        #expect(used.count == 1 && used.first?.uppercased().contains(" LOGIN ") == true, "\(used)")
    }
}
