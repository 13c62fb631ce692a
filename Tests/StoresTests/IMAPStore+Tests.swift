import Engine
import Foundation
import IMAPClient
import MailCore
import MailTesting
import Stores
import Testing

/// Options for the test server's accounts, trusting its CA.
func serverOptions(_ server: TestServer) -> StoreOptions {
    var options = StoreOptions()
    for side in [\StoreOptions.source, \StoreOptions.destination] {
        options[keyPath: side].password = .command("echo \(server.password)")
        options[keyPath: side].caFile = server.caFile
        if ProcessInfo.processInfo.environment["MAILFERRY_TEST_TRACE"] != nil {
            let label = side == \StoreOptions.source ? "S" : "D"
            options[keyPath: side].trace = { FileHandle.standardError.write(Data("[\(label)] \($0.prefix(160))\n".utf8)) }
        }
    }
    return options
}

func imap(_ server: TestServer, _ user: String, folder: String? = nil, starttls: Bool = false) throws -> StoreEndpoint {
    let port = starttls ? server.imapPort : server.imapsPort
    return try StoreEndpoint(parsing: "\(starttls ? "imap" : "imaps")://\(user)@\(server.host):\(port)\(folder.map { "/\($0)" } ?? "")")
}

/// Writes generated messages into folders of a new Maildir (an empty list makes an empty folder).
func makeMaildir(_ path: String, folders: [(String, Int)], seed: UInt64) async throws -> [String: [Kept]] {
    let sink = try await StoreFactory.openSink(.maildir(path: path))
    let stored = try await storeGeneratedMessages(into: sink, folders: folders, seed: seed)
    return stored.mapValues { envelopes in
        envelopes.map { Kept(fingerprint: $0.fingerprint, flags: $0.flags, internalDate: $0.internalDate) }
    }
}

@Suite("IMAP store against the test Dovecot", .enabled(if: TestServer.isAvailable, TestServer.skipReason), .serialized)
struct IMAPStoreTests {
    let server = TestServer.current!

    static let folders: [(String, Int)] = [
        ("INBOX", 40), ("Sent", 12), ("A & B", 5), ("Space Folder", 4), ("Rechnungen/Überweisungen", 6),
        ("Level1/Level2/Level3", 3), ("Empty", 0), ("日本語", 2),
    ]

    @Test("Maildir → IMAP → IMAP → Maildir keeps bytes, flags, keywords, dates and folders")
    func roundTrip() async throws {
        for user in ["carol", "dave"] { try server.reset(user: user) }
        let directory = try TemporaryDirectory("imap-roundtrip")
        defer { directory.remove() }
        let expected = try await makeMaildir(directory.file("original"), folders: Self.folders, seed: 77)
        let options = serverOptions(server)

        let upload = try await copy(.maildir(path: directory.file("original")), try imap(server, "carol"), options: options)
        #expect(upload.outcome == .complete, "\(upload.failures.map(\.text))")
        #expect(upload.totals.copied == 72)

        let transfer = try await copy(try imap(server, "carol"), try imap(server, "dave", starttls: true), options: options)
        #expect(transfer.outcome == .complete, "\(transfer.failures.map(\.text))")
        #expect(transfer.totals.copied == 72)

        let download = try await copy(try imap(server, "dave"), .maildir(path: directory.file("back")), options: options)
        #expect(download.outcome == .complete)

        let carol = try await contents(of: try await StoreFactory.openSource(try imap(server, "carol"), options: options))
        let dave = try await contents(of: try await StoreFactory.openSource(try imap(server, "dave"), options: options))
        let back = try await contents(of: try await StoreFactory.openSource(.maildir(path: directory.file("back"))))
        for (name, messages) in expected {
            #expect(carol[name] == messages, "carol: \(name)")
            #expect(dave[name] == messages, "dave: \(name)")
            #expect(back[name] == messages, "back in a Maildir: \(name)")
        }
        // Special-use roles travel: Dovecot marks Sent as \Sent.
        let daveFolders = try await StoreFactory.openSource(try imap(server, "dave"), options: options).listFolders()
        #expect(daveFolders.first { $0.path.displayName == "Sent" }?.path.role == .sent)
        #expect(daveFolders.contains { $0.path.displayName == "Empty" })
    }

    @Test("mbox → IMAP into a named folder; the server's size limit rejects one message and the run goes on")
    func mboxIntoIMAPWithRejection() async throws {
        try server.reset(user: "small")
        let directory = try TemporaryDirectory("imap-reject")
        defer { directory.remove() }
        let big = "From a Mon Mar  4 09:15:02 2024\nSubject: big\nMessage-ID: <big@test>\n\n" + String(repeating: "0123456789\n", count: 20_000) + "\n"
        var small = (1...5).map { "From a Mon Mar  4 09:15:02 2024\nSubject: \($0)\nMessage-ID: <s\($0)@test>\n\nsmall\n\n" }
        // Just under the 100 KB limit (counted with CRLF line endings): accepted.
        small[4] = "From a Mon Mar  4 09:15:02 2024\nSubject: near the limit\nMessage-ID: <near@test>\n\n" + String(repeating: "0123456789abcdef\n", count: 5_600) + "\n"
        try directory.write("in.mbox", small[0] + small[1] + big + small[2] + small[3] + small[4])
        let report = try await copy(.mbox(path: directory.file("in.mbox")), try imap(server, "small", folder: "Imported/2024"), options: serverOptions(server))
        #expect(report.outcome == .partial)
        #expect(report.totals.copied == 5)
        #expect(report.failures.count == 1)
        #expect(report.failures.first?.code == "too-large")
        #expect(report.failures.first?.message == 3)
        #expect(report.failures.first?.reason.contains("larger than the maximum") == true)
        let folders = try await StoreFactory.openSource(try imap(server, "small"), options: serverOptions(server)).listFolders()
        #expect(folders.first { $0.path.displayName == "Imported/2024" }?.messageCount == 5)
    }

    @Test("a wrong password fails when the store opens, with the server's reason")
    func wrongPassword() async throws {
        var options = serverOptions(server)
        options.source.password = .command("echo wrong")
        await #expect {
            try await StoreFactory.openSource(try imap(server, "carol"), options: options)
        } throws: { error in
            guard let error = error as? MailError else { return false }
            return error.scope == .store && error.summary.contains("authentication failed")
        }
    }
}

@Suite("IMAP across dropped connections", .enabled(if: TestServer.isAvailable, TestServer.skipReason), .serialized)
struct IMAPReconnectTests {
    let server = TestServer.current!

    func endpoint(_ user: String, port: Int) throws -> StoreEndpoint {
        try StoreEndpoint(parsing: "imaps://\(user)@127.0.0.1:\(port)")
    }

    @Test("a connection cut in the middle of FETCH literals is reopened; every message arrives once")
    func cutWhileReading() async throws {
        try server.reset(user: "frank")
        let directory = try TemporaryDirectory("cut-read")
        defer { directory.remove() }
        let expected = try await makeMaildir(directory.file("original"), folders: [("INBOX", 120)], seed: 5)
        let options = serverOptions(server)
        _ = try await copy(.maildir(path: directory.file("original")), try imap(server, "frank"), options: options)

        let proxy = try CuttingProxy(upstreamPort: server.imapsPort, cutAfter: 60_000, direction: .serverToClient)
        let report = try await copy(try endpoint("frank", port: proxy.port), .maildir(path: directory.file("copy")), options: options)
        #expect(proxy.cuts == 1, "the cut happened")
        #expect(report.outcome == .complete, "\(report.failures.map(\.text))")
        let copied = try await contents(of: try await StoreFactory.openSource(.maildir(path: directory.file("copy"))))
        #expect(copied["INBOX"] == expected["INBOX"])
    }

    @Test("a connection cut in the middle of APPEND literals is reopened; nothing is lost or stored twice")
    func cutWhileWriting() async throws {
        try server.reset(user: "frank")
        let directory = try TemporaryDirectory("cut-write")
        defer { directory.remove() }
        let expected = try await makeMaildir(directory.file("original"), folders: [("INBOX", 120)], seed: 6)
        let options = serverOptions(server)
        let proxy = try CuttingProxy(upstreamPort: server.imapsPort, cutAfter: 90_000, direction: .clientToServer)
        let report = try await copy(.maildir(path: directory.file("original")), try endpoint("frank", port: proxy.port), options: options)
        #expect(proxy.cuts == 1, "the cut happened")
        #expect(report.outcome == .complete, "\(report.failures.map(\.text)) \(String(describing: report.stoppedBy?.text))")
        let stored = try await contents(of: try await StoreFactory.openSource(try imap(server, "frank"), options: options))
        #expect(stored["INBOX"]?.count == 120)
        #expect(stored["INBOX"].map(Set.init) == expected["INBOX"].map(Set.init))
    }
}
