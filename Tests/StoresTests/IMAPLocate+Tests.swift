import Foundation
import MailCore
import MailTesting
@testable import Stores
import Testing

/// Finding unconfirmed messages after a dropped connection (the writer's own recovery), with
/// messages a Message-ID cannot tell apart.
@Suite("IMAP recovery of unconfirmed messages")
struct IMAPLocateTests {
    static func message(_ headers: [String], body: String) -> [UInt8] {
        Array((headers + ["From: a@example.com", "Subject: locate"]).joined(separator: "\r\n").utf8)
            + Array("\r\n\r\n\(body)\r\n".utf8)
    }

    /// A server without MULTIAPPEND, so each message is its own APPEND; the third APPEND the
    /// server receives ends the session (`BYE`) before it is stored.
    static func server() throws -> FakeIMAPServer {
        var configuration = FakeIMAPServer.Configuration()
        configuration.capabilities.removeAll { $0 == "MULTIAPPEND" }
        let server = try FakeIMAPServer(configuration)
        server.setIntercept { request in
            request.command == "APPEND" && request.occurrence == 3 ? .bye("Session ended.") : nil
        }
        return server
    }

    @Test("a Message-ID is searched for without its brackets, and only when it is a plain printable token")
    func searchableIDs() {
        #expect(IMAPFolderWriter.searchableMessageID("<a.b@example.com>") == "a.b@example.com")
        // What `MESSAGE-id: not-a-valid-id@ torture example` is recorded as: a prefix of the stored field.
        #expect(IMAPFolderWriter.searchableMessageID("<not-a-valid-id@>") == "not-a-valid-id@")
        #expect(IMAPFolderWriter.searchableMessageID("<with space@example.com>") == nil)
        #expect(IMAPFolderWriter.searchableMessageID("<caf\u{E9}@example.com>") == nil)
        #expect(IMAPFolderWriter.searchableMessageID("<>") == nil)
        #expect(IMAPFolderWriter.searchableMessageID(nil) == nil)
    }

    @Test(
        "the same bytes twice in one batch, the connection lost after the first was confirmed: the second is sent again, not taken for the first",
        arguments: [
            ["MESSAGE-id: not-a-valid-id@ torture example"], ["Message-ID: <twice@example.com>"], [],
        ])
    func exactCopyAfterDrop(headers: [String]) async throws {
        let server = try Self.server()
        defer { server.stop() }
        let bytes = Self.message(headers, body: "twice")
        let other = Self.message(["Message-ID: <other@example.com>"], body: "other")
        let sink = try await StoreFactory.openSink(try FakeGmailTests.endpoint(server), options: FakeGmailTests.options())
        let writer = try await sink.openFolder(.inbox, subscribe: false)
        // Pipelined: the first two are confirmed (APPENDUID), the connection ends at the third.
        let batch = [bytes, other, bytes].enumerated().map { index, bytes in
            MessageEnvelope(bytes: bytes, folder: .inbox, key: SourceKey("k\(index)"))
        }
        let outcomes = try await writer.store(batch)
        try await writer.close()
        try await sink.close()
        var references: [String] = []
        for outcome in outcomes {
            guard case .stored(let stored) = outcome else {
                Issue.record("not stored: \(outcome)")
                continue
            }
            references.append(stored.reference)
        }
        #expect(Set(references).count == 3, "each message its own copy: \(references)")
        let held = server.messages(in: "INBOX").map(\.bytes)
        #expect(held.filter { $0 == bytes }.count == 2, "both copies arrive")
        #expect(held.filter { $0 == other }.count == 1)
    }
}
