import Foundation
import IMAPClient
import IMAPCore
import MailCore
import MailTesting
import Stores
import Testing

/// RFC 9738 MESSAGELIMIT against ``FakeIMAPServer``, which refuses (`NO [LIMIT]`) and counts
/// every command touching more messages than its limit: listing, searching, reading, flag
/// listing, sizes, APPEND and deletion all stay within it, announced or given by a profile.
@Suite("IMAP commands within a message limit (fake server)", .serialized)
struct MessageLimitTests {
    static let date = Date(timeIntervalSince1970: 1_709_543_702)

    static func message(_ number: Int) -> [UInt8] {
        let subject = number % 2 == 1 ? "keep \(number)" : "drop \(number)"
        return Array("From: a@example.com\r\nSubject: \(subject)\r\nMessage-ID: <l\(number)@example.com>\r\n\r\nBody \(number)\r\n".utf8)
    }

    /// A plain server holding `count` messages in INBOX, with `limit` enforced and, when
    /// `announced`, offered as `MESSAGELIMIT=limit`.
    static func server(limit: Int, announced: Bool, count: Int) throws -> FakeIMAPServer {
        var configuration = FakeIMAPServer.Configuration()
        configuration.messageLimit = limit
        if announced { configuration.capabilities.append("MESSAGELIMIT=\(limit)") }
        let server = try FakeIMAPServer(configuration)
        for number in 1...max(count, 1) where count > 0 {
            try server.append(bytes: message(number), flags: number % 3 == 0 ? ["\\Seen"] : [], internalDate: date)
        }
        return server
    }

    static func options(messageLimit: Int? = nil) -> StoreOptions {
        var options = FakeGmailTests.options()
        options.source.messageLimit = messageLimit
        options.destination.messageLimit = messageLimit
        return options
    }

    @Test("the server's limit is enforced: a listing of every message is refused and counted")
    func fakeEnforces() async throws {
        let server = try Self.server(limit: 7, announced: true, count: 25)
        defer { server.stop() }
        var configuration = IMAPConfiguration(
            host: "127.0.0.1", port: server.port, security: .plaintext, username: "me", secret: .password({ "secret" }))
        configuration.allowPlaintextAuthentication = true
        let connection = try await IMAPConnection.connect(configuration)
        #expect(connection.capabilities.value(of: "MESSAGELIMIT") == "7")
        _ = try await connection.execute(.examine(.inbox, condStore: false))
        let whole = try await connection.executeAllowingFailure(.uidFetch(UIDSet(ranges: [1...UInt32.max]), items: ["UID"], changedSince: nil))
        #expect(whole.tagged.status == .no)
        let slice = try await connection.executeAllowingFailure(.fetch(UIDSet(ranges: [1...7]), items: ["UID"]))
        #expect(slice.tagged.status == .ok)
        #expect(slice.untagged.filter { if case .fetch = $0 { true } else { false } }.count == 7)
        await connection.logout()
        #expect(server.messageLimitViolations == ["UID FETCH: 25 messages"])
    }

    @Test("an announced MESSAGELIMIT: listing, filtered search, reading, sizes, flags and deletion in slices; nothing lost")
    func sourceWithinAnnouncedLimit() async throws {
        let server = try Self.server(limit: 7, announced: true, count: 25)
        defer { server.stop() }
        let source = try await StoreFactory.openSource(try FakeGmailTests.endpoint(server), options: Self.options())
        let inbox = try #require(try await source.listFolders().first { $0.path.isInbox })

        var envelopes: [MessageEnvelope] = []
        let stream = try await source.messages(in: inbox)
        for try await item in stream { if case .message(let envelope) = item { envelopes.append(envelope) } }
        stream.reader.close()
        #expect(envelopes.map(\.messageID) == (1...25).map { "<l\($0)@example.com>" })

        // A header filter goes to UID SEARCH, once per slice of listed UIDs.
        let hint = FilterHint(headerContains: [(field: "Subject", text: "keep")])
        var kept: [String] = []
        let filtered = try await source.messages(in: inbox, selection: MessageSelection(hint: hint))
        for try await item in filtered { if case .message(let envelope) = item { kept.append(envelope.messageID ?? "") } }
        filtered.reader.close()
        #expect(kept == stride(from: 1, through: 25, by: 2).map { "<l\($0)@example.com>" })

        let status = try await source.status(of: inbox)
        #expect(status.messages == 25)
        #expect(status.bytes == (1...25).reduce(0) { $0 + Self.message($1).count })
        let flags = try #require(try await source.flags(in: inbox, changedSince: nil))
        #expect(flags.entries.count == 25)
        #expect(flags.entries.filter { $0.flags.contains(.seen) }.count == 8)

        let removal = try await source.removeCopied(RemovalRequest(keys: Set(envelopes.map(\.key))), in: inbox)
        await source.close()
        #expect(removal.removed == 25)
        #expect(server.messages(in: "INBOX").isEmpty)
        #expect(server.messageLimitViolations.isEmpty, "\(server.messageLimitViolations)")
        // The slices were asked by message number, 7 at a time.
        #expect(server.log.contains { $0.line.contains("FETCH 22:25 (UID RFC822.SIZE)") }, "\(server.log.map(\.line))")
        #expect(server.log.contains { $0.line.contains("UID SEARCH UID") && $0.line.contains("HEADER") })
    }

    @Test("a limit known only from the profile: MULTIAPPEND batches and the recovery search stay within it")
    func destinationWithinProfileLimit() async throws {
        let server = try Self.server(limit: 5, announced: false, count: 0)
        defer { server.stop() }
        let sink = try await StoreFactory.openSink(try FakeGmailTests.endpoint(server), options: Self.options(messageLimit: 5))
        let writer = try await sink.openFolder(.inbox, subscribe: false)
        let envelopes = (1...12).map { FakeGmailTests.envelope(Self.message($0), key: "k\($0)") }
        let outcomes = try await writer.store(envelopes)
        #expect(outcomes.allSatisfy { if case .stored = $0 { true } else { false } }, "\(outcomes)")
        // What --dedup reads, and what a resumed run searches for after a crash.
        let identities = try await writer.existingMessages()
        #expect(identities.compactMap(\.messageID).sorted() == (1...12).map { "<l\($0)@example.com>" }.sorted())
        let found = try await writer.locate(envelopes.map { PendingMessage(record: MessageRecord($0), position: nil) })
        #expect(found.count == 12)
        try await writer.close()
        // The stored messages' identities, read back as a rerun without a checkpoint does.
        let reader = try await StoreFactory.openDestinationForReading(
            try FakeGmailTests.endpoint(server), options: Self.options(messageLimit: 5))
        let inbox = try #require(try await reader.listFolders().first { $0.path.isInbox })
        let stored = try await reader.status(of: inbox)
        await reader.close()
        try await sink.close()
        #expect(stored.messages == 12)
        #expect(server.messages(in: "INBOX").map(\.bytes) == (1...12).map { Self.message($0) })
        #expect(server.messageLimitViolations.isEmpty, "\(server.messageLimitViolations)")
        #expect(server.count(of: "APPEND") >= 3)
    }
}
