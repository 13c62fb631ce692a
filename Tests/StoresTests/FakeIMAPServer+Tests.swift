import Foundation
import MailCore
import MailTesting
import Stores
import Synchronization
import Testing

/// MailFerry's own IMAP store against ``FakeIMAPServer`` in Gmail mode: labels as folders, one
/// copy per message in All Mail, duplicates merged by the server, throttling replies. No
/// Dovecot needed: the server runs in this process on 127.0.0.1, without TLS.
@Suite("IMAP store against the fake Gmail server", .serialized)
struct FakeGmailTests {
    static let date = Date(timeIntervalSince1970: 1_709_543_702)  // 2024-03-04 09:15:02 UTC

    /// A small message with CRLF line endings, as the server stores it.
    static func message(_ number: Int, subject: String? = nil) -> [UInt8] {
        Array(
            ("From: a@example.com\r\nTo: b@example.com\r\nSubject: \(subject ?? "Message \(number)")\r\n"
                + "Message-ID: <m\(number)@example.com>\r\nDate: Mon, 4 Mar 2024 09:15:02 +0000\r\n\r\nBody \(number)\r\n").utf8)
    }

    /// Gmail with three messages: 1 in INBOX (Important, Work, Work/Projects), 2 sent, 3 in INBOX and starred.
    static func gmailServer(_ adjust: (inout FakeIMAPServer.Configuration) -> Void = { _ in }) throws -> FakeIMAPServer {
        var configuration = FakeIMAPServer.Configuration.gmail()
        adjust(&configuration)
        let server = try FakeIMAPServer(configuration)
        try server.appendGmail(bytes: message(1), labels: ["\\Inbox", "\\Important", "Work", "Work/Projects"], flags: ["\\Seen"], internalDate: date)
        try server.appendGmail(bytes: message(2), labels: ["\\Sent"], flags: ["\\Seen"], internalDate: date)
        try server.appendGmail(bytes: message(3), labels: ["\\Inbox"], flags: ["\\Flagged"], internalDate: date)
        return server
    }

    /// Any password, plaintext allowed (the fake server has no TLS).
    static func options(connections: Int = 2) -> StoreOptions {
        var options = StoreOptions()
        for side in [\StoreOptions.source, \StoreOptions.destination] {
            options[keyPath: side].password = .command("echo secret")
            options[keyPath: side].allowPlaintext = true
            options[keyPath: side].connections = connections
            if ProcessInfo.processInfo.environment["MAILFERRY_TEST_TRACE"] != nil {
                options[keyPath: side].trace = { FileHandle.standardError.write(Data("[fake] \($0.prefix(160))\n".utf8)) }
            }
        }
        return options
    }

    static func endpoint(_ server: FakeIMAPServer) throws -> StoreEndpoint {
        try StoreEndpoint(parsing: "imap://me%40gmail.com@127.0.0.1:\(server.port)")
    }

    /// Every envelope of one folder.
    static func read(_ source: any MessageSource, _ folder: FolderInfo) async throws -> [MessageEnvelope] {
        var envelopes: [MessageEnvelope] = []
        let stream = try await source.messages(in: folder)
        defer { stream.reader.close() }
        for try await item in stream {
            if case .message(let envelope) = item { envelopes.append(envelope) }
        }
        return envelopes
    }

    /// A new message for APPEND tests.
    /// An envelope for `bytes`; keys are unique within a batch, as a source's are.
    static func envelope(_ bytes: [UInt8], key: String? = nil) -> MessageEnvelope {
        MessageEnvelope(
            bytes: bytes, folder: .inbox, key: SourceKey(key ?? Fingerprint.of(bytes).hex), flags: FlagSet([.seen]), internalDate: date)
    }

    @Test("Gmail's folders: roles from SPECIAL-USE, [Gmail] not selectable, labels as folders, counts")
    func listsGmailFolders() async throws {
        let server = try Self.gmailServer()
        defer { server.stop() }
        let source = try await StoreFactory.openSource(try Self.endpoint(server), options: Self.options())
        let folders = try await source.listFolders()
        await source.close()
        let byName = Dictionary(folders.map { ($0.path.displayName, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(byName["[Gmail]/All Mail"]?.path.role == .all)
        #expect(byName["[Gmail]/Sent Mail"]?.path.role == .sent)
        #expect(byName["[Gmail]/Spam"]?.path.role == .junk)
        #expect(byName["[Gmail]/Starred"]?.path.role == .flagged)
        #expect(byName["[Gmail]"]?.isSelectable == false)
        #expect(byName["Work/Projects"]?.isSelectable == true)
        #expect(byName["INBOX"]?.messageCount == 2)
        #expect(byName["[Gmail]/All Mail"]?.messageCount == 3)
        #expect(byName["[Gmail]/Starred"]?.messageCount == 1)
        #expect(server.log.contains { $0.line.contains("LIST \"\" * RETURN (SUBSCRIBED SPECIAL-USE)") })
    }

    @Test("the same message is read from INBOX and from All Mail, byte for byte")
    func readsInboxAndAllMail() async throws {
        let server = try Self.gmailServer()
        defer { server.stop() }
        let source = try await StoreFactory.openSource(try Self.endpoint(server), options: Self.options())
        let folders = try await source.listFolders()
        let inbox = try #require(folders.first { $0.path.isInbox })
        let allMail = try #require(folders.first { $0.path.role == .all })
        let inInbox = try await Self.read(source, inbox)
        let inAllMail = try await Self.read(source, allMail)
        await source.close()
        #expect(inInbox.map(\.fingerprint) == [Fingerprint.of(Self.message(1)), Fingerprint.of(Self.message(3))])
        #expect(inAllMail.count == 3)
        #expect(Set(inInbox.map(\.fingerprint)).isSubset(of: Set(inAllMail.map(\.fingerprint))))
        #expect(inInbox.first?.flags == FlagSet([.seen]))
        #expect(inInbox.first?.internalDate == Self.date)
        #expect(inInbox.first?.messageID == "<m1@example.com>")
        // Reading never marks anything seen (EXAMINE and BODY.PEEK).
        #expect(server.messages(in: "INBOX").last?.flags == ["\\Flagged"])
    }

    @Test("APPEND into a label stores the message once, in All Mail, with that label")
    func appendToLabel() async throws {
        let server = try Self.gmailServer()
        defer { server.stop() }
        let sink = try await StoreFactory.openSink(try Self.endpoint(server), options: Self.options())
        let writer = try await sink.openFolder(try #require(FolderPath(["Work"])), subscribe: true)
        let bytes = Self.message(4, subject: "New for Work")
        let outcomes = try await writer.store([Self.envelope(bytes)])
        try await writer.close()
        try await sink.close()
        guard case .stored(let stored)? = outcomes.first else {
            Issue.record("not stored: \(outcomes)")
            return
        }
        let work = try #require(server.mailbox("Work"))
        #expect(stored.reference == "\(work.uidValidity):2")  // Work already showed message 1
        let allMail = server.messages(in: "[Gmail]/All Mail")
        #expect(allMail.count == 4)
        #expect(allMail.last?.bytes == bytes)
        #expect(allMail.last?.labels == ["Work"])
        #expect(allMail.last?.flags == ["\\Seen"])
        #expect(server.messages(in: "Work").map(\.bytes).contains(bytes))
        #expect(server.messages(in: "INBOX").count == 2)
    }

    @Test("APPEND of a message All Mail already holds (same Message-ID and size): no second copy, OK with the existing UID")
    func duplicateAppendIsMerged() async throws {
        let server = try Self.gmailServer()
        defer { server.stop() }
        let sink = try await StoreFactory.openSink(try Self.endpoint(server), options: Self.options())
        let writer = try await sink.openFolder(.inbox, subscribe: false)
        // Message 2 is only in Sent Mail; sending it to INBOX adds the label, nothing else.
        let outcomes = try await writer.store([Self.envelope(Self.message(2))])
        try await writer.close()
        try await sink.close()
        guard case .stored(let stored)? = outcomes.first else {
            Issue.record("not stored: \(outcomes)")
            return
        }
        let inbox = try #require(server.mailbox("INBOX"))
        #expect(stored.reference == "\(inbox.uidValidity):3")
        let allMail = server.messages(in: "[Gmail]/All Mail")
        #expect(allMail.count == 3, "the server kept one copy")
        #expect(allMail.first { $0.bytes == Self.message(2) }?.labels == ["\\Sent", "\\Inbox"])
        #expect(server.messages(in: "INBOX").count == 3)
        #expect(server.count(of: "APPEND") == 1)
    }

    @Test("an APPEND the server throttles ([UNAVAILABLE]) is waited out and sent again: stored once, the pause announced")
    func interceptedAppend() async throws {
        let server = try Self.gmailServer()
        defer { server.stop() }
        server.setIntercept { request in
            request.command == "APPEND" && request.occurrence == 1 ? .reply("{tag} NO [UNAVAILABLE] Server Unavailable. 15\r\n") : nil
        }
        let announced = Mutex<[String]>([])
        var options = Self.options()
        options.destination.throttleObserver = { text in announced.withLock { $0.append(text) } }
        let sink = try await StoreFactory.openSink(try Self.endpoint(server), options: options)
        let writer = try await sink.openFolder(.inbox, subscribe: false)
        let started = Date()
        let outcomes = try await writer.store([Self.envelope(Self.message(5)), Self.envelope(Self.message(6))])
        let waited = Date().timeIntervalSince(started)
        try await writer.close()
        try await sink.close()
        #expect(outcomes.count == 2)
        for outcome in outcomes {
            guard case .stored = outcome else {
                Issue.record("not stored: \(outcome)")
                continue
            }
        }
        #expect(waited >= 1)  // no suggested time: the first back-off is 1 s
        let all = server.messages(in: "[Gmail]/All Mail").map(\.bytes)
        #expect(all.filter { $0 == Self.message(5) }.count == 1)
        #expect(all.filter { $0 == Self.message(6) }.count == 1)
        #expect(announced.withLock { $0 }.contains { $0.contains("Server Unavailable. 15") && $0.contains("waiting 1000 ms") })
    }

    @Test("a BYE in the middle of reading (Gmail's session expiry) costs a reconnect, not a message")
    func byeWhileReading() async throws {
        let server = try Self.gmailServer()
        defer { server.stop() }
        server.setIntercept { request in
            // The first connection's first body fetch ends its session.
            request.command == "UID FETCH" && request.line.contains("BODY.PEEK[]") && request.connection == 1
                ? .bye("Session expired, please login again.") : nil
        }
        let source = try await StoreFactory.openSource(try Self.endpoint(server), options: Self.options(connections: 1))
        let allMail = try #require(try await source.listFolders().first { $0.path.role == .all })
        let envelopes = try await Self.read(source, allMail)
        await source.close()
        #expect(server.log.contains { $0.connection == 1 && $0.line.contains("BODY.PEEK[]") }, "the BYE happened")
        #expect(server.log.contains { $0.connection > 1 && $0.line.contains("BODY.PEEK[]") }, "the reader reconnected")
        #expect(envelopes.map(\.fingerprint) == [1, 2, 3].map { Fingerprint.of(Self.message($0)) })
    }

    @Test("a connection over Gmail's limit is refused at LOGIN with Gmail's alert")
    func tooManyConnections() async throws {
        let server = try Self.gmailServer { $0.maximumConnections = 1 }
        defer { server.stop() }
        let first = try await StoreFactory.openSource(try Self.endpoint(server), options: Self.options(connections: 1))
        await #expect {
            try await StoreFactory.openSource(try Self.endpoint(server), options: Self.options(connections: 1))
        } throws: { error in
            (error as? MailError)?.summary.contains("Too many simultaneous connections") == true
        }
        await first.close()
        #expect(server.connectionsAccepted == 2)
        #expect(server.peakConnections == 2)
    }
}

@Suite("IMAP store against the fake Office 365 server", .serialized)
struct FakeOffice365Tests {
    @Test("Office 365's folders keep their roles; a folder named Files is refused with the server's words")
    func reservedFolderName() async throws {
        let server = try FakeIMAPServer(.office365())
        defer { server.stop() }
        let endpoint = try StoreEndpoint(parsing: "imap://me%40contoso.com@127.0.0.1:\(server.port)")
        let sink = try await StoreFactory.openSink(endpoint, options: FakeGmailTests.options())
        let folders = try await sink.listFolders()
        #expect(folders.first { $0.path.displayName == "Sent Items" }?.path.role == .sent)
        #expect(folders.first { $0.path.displayName == "Deleted Items" }?.path.role == .trash)
        #expect(folders.first { $0.path.displayName == "Junk Email" }?.path.role == .junk)
        await #expect {
            _ = try await sink.openFolder(try #require(FolderPath(["Files"])), subscribe: true)
        } throws: { error in
            guard let error = error as? MailError else { return false }
            return error.scope == .folder && error.summary.contains("Folder name is reserved")
        }
        try await sink.close()
        #expect(!server.mailboxNames.contains("Files"))
        #expect(server.log.contains { $0.line.hasSuffix("CREATE Files") })
    }
}
