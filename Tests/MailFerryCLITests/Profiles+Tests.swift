import Foundation
import MailCore
import MailTesting
import Stores
import Testing

@Suite("Provider profiles from the command line")
struct ProfilesCLITests {
    @Test("profiles list names every built-in profile; show gives Gmail's limits")
    func listAndShow() async throws {
        let directory = try TemporaryDirectory("profiles-cli")
        defer { directory.remove() }
        let environment = ["XDG_CONFIG_HOME": directory.path]
        let list = try await BuiltProducts.run(["profiles", "list"], environment: environment)
        #expect(list.status == 0, "\(list.stderr)")
        for name in ["gmail", "outlook", "office365", "yahoo", "aol", "icloud", "fastmail", "gmx", "zoho", "protonmail-bridge", "dovecot", "cyrus"] {
            #expect(list.stdout.contains("\n\(name) ") || list.stdout.hasPrefix("\(name) "), "\(name) missing:\n\(list.stdout)")
        }
        let gmail = try await BuiltProducts.run(["profiles", "show", "GMAIL"], environment: environment)
        #expect(gmail.status == 0)
        #expect(gmail.stdout.contains("imap.gmail.com:993 tls"))
        #expect(gmail.stdout.contains("at most 15 connections"))
        #expect(gmail.stdout.contains("largest message: 35651584 bytes"))
        #expect(gmail.stdout.contains("skipped as a source: [Gmail]/All Mail, [Gmail]/Important, [Gmail]/Starred"))
        let missing = try await BuiltProducts.run(["profiles", "show", "nosuch"], environment: environment)
        #expect(missing.status == 2 && missing.stderr.contains("no profile called \"nosuch\""))
    }

    @Test("a broken user profile is a configuration error naming its file and line")
    func brokenUserProfile() async throws {
        let directory = try TemporaryDirectory("profiles-broken")
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.file("mailferry/profiles"), withIntermediateDirectories: true)
        try Data("name = \"mine\"\ndisplay_name = \"Mine\"\n[imap]\nhots = \"x\"\n".utf8).write(to: URL(fileURLWithPath: directory.file("mailferry/profiles/mine.toml")))
        let run = try await BuiltProducts.run(["profiles", "list"], environment: ["XDG_CONFIG_HOME": directory.path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("mine.toml:4:"), "\(run.stderr)")
        #expect(run.stderr.contains("hots"))
    }
}

@Suite("Provider profiles against Dovecot", .enabled(if: TestServer.isAvailable, TestServer.skipReason), .serialized)
struct ProfilesIMAPCLITests {
    let server = TestServer.current!

    @Test("a user profile as an endpoint (NAME://user/): its server, connection cap, budget and reserved names apply")
    func userProfileEndpoint() async throws {
        try server.reset(user: "profdst")
        let directory = try TemporaryDirectory("profiles-imap")
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.file("config/mailferry/profiles"), withIntermediateDirectories: true)
        let profile = """
            name = "testmail"
            display_name = "The test Dovecot"
            [imap]
            host = "\(server.host)"
            port = \(server.imapsPort)
            security = "tls"
            max_connections = 2
            [pop3]
            host = "\(server.host)"
            port = \(server.pop3sPort)
            security = "tls"
            [folders]
            reserved = ["Files"]
            [limits]
            daily_upload_bytes = 1000000
            """
        try Data(profile.utf8).write(to: URL(fileURLWithPath: directory.file("config/mailferry/profiles/testmail.toml")))
        let root = directory.file("Maildir")
        for folder in ["", ".Files", ".Work"] {
            for sub in ["cur", "new", "tmp"] {
                try FileManager.default.createDirectory(atPath: "\(root)/\(folder)/\(sub)", withIntermediateDirectories: true)
            }
            try Data("Subject: in \(folder)\nMessage-ID: <\(folder)@t>\n\nx\n".utf8)
                .write(to: URL(fileURLWithPath: "\(root)/\(folder)/cur/1700000000.M1P1.t:2,S"))
        }
        let run = try await BuiltProducts.run(
            ["copy", "maildir:\(root)", "testmail://profdst/", "--ca-file", server.caFile, "--no-checkpoint", "--json"],
            environment: ["XDG_CONFIG_HOME": directory.file("config"), "MAILFERRY_DEST_PASSWORD": server.password])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect((report["destination"] as? String)?.contains("profdst@\(server.host):\(server.imapsPort)") == true)
        let destinations = (report["folders"] as? [[String: Any]] ?? []).compactMap { $0["destination"] as? String }
        #expect(Set(destinations) == ["INBOX", "Files (migrated)", "Work"])
        let notes = report["notes"] as? [String] ?? []
        #expect(notes.contains { $0.contains("profile testmail") && $0.contains("pauses after") })
        #expect(notes.contains { $0.contains("go to NAME (migrated): Files") })
        // The same profile for a plain IMAP URL with --profile (a job file's top-level `profile`).
        let plain = try await BuiltProducts.run(
            [
                "copy", "maildir:\(root)", "imaps://profdst@\(server.host):\(server.imapsPort)", "--profile", "testmail",
                "--ca-file", server.caFile, "--no-checkpoint", "--json", "--to-folder", "Again",
            ],
            environment: ["XDG_CONFIG_HOME": directory.file("config"), "MAILFERRY_DEST_PASSWORD": server.password])
        #expect(plain.status == 0, "\(plain.stdout)\(plain.stderr)")
        let plainNotes = try #require(try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])["notes"] as? [String] ?? []
        #expect(plainNotes.contains { $0.contains("profile testmail") && $0.contains("pauses after") }, "\(plainNotes)")
        // NAME+pop3:// reads the same account through the profile's POP3 server (INBOX only).
        let pop3 = try await BuiltProducts.run(
            ["copy", "testmail+pop3://profdst", "maildir:\(directory.file("fromPOP3"))", "--ca-file", server.caFile, "--no-checkpoint", "--json"],
            environment: ["XDG_CONFIG_HOME": directory.file("config"), "MAILFERRY_SOURCE_PASSWORD": server.password])
        #expect(pop3.status == 0, "\(pop3.stdout)\(pop3.stderr)")
        let popReport = try #require(try JSONSerialization.jsonObject(with: Data(pop3.stdout.utf8)) as? [String: Any])
        #expect((popReport["source"] as? String)?.hasPrefix("pop3s://profdst@\(server.host):\(server.pop3sPort)") == true, "\(popReport["source"] ?? "")")
        #expect((popReport["totals"] as? [String: Any])?["copied"] as? Int == 1)
    }
}
