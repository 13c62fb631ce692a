import Foundation
@testable import IMAPClient
import IMAPCore
import MailCore
import MailTesting
import Testing

@Suite("IMAP connection robustness (scripted server)")
struct RobustnessTests {
    func configuration(port: Int) -> IMAPConfiguration {
        var configuration = IMAPConfiguration(
            host: "127.0.0.1", port: port, security: .plaintext, username: "me", secret: .password({ "secret-password" }))
        configuration.allowPlaintextAuthentication = true
        configuration.responseTimeout = 30
        configuration.connectTimeout = 5
        return configuration
    }

    func commands(_ server: ScriptedServer) -> [String] {
        server.received.map { line in
            let words = line.split(separator: " ")
            return words.count > 1 ? words[1...].prefix(2).joined(separator: " ").uppercased() : line
        }
    }

    @Test("MULTIAPPEND without LITERAL+: a NO right after message 1 ends the command instead of hanging")
    func multiappendRefusedAfterFirstLiteral() async throws {
        let server = try ScriptedServer(script: [
            .send("* OK [CAPABILITY IMAP4rev1 MULTIAPPEND] ready\r\n"),
            .respond(to: "LOGIN", reply: { "\($0) OK [CAPABILITY IMAP4rev1 MULTIAPPEND] logged in\r\n" }),
            // The `+` for message 1, then the refusal before message 2's literal is announced.
            .respond(to: "APPEND", reply: { "+ go ahead\r\n\($0) NO [OVERQUOTA] mailbox is full\r\n" }),
            .waitForClose,
        ])
        let connection = try await IMAPConnection.connect(configuration(port: server.port))
        let items = try ["Subject: one\n\nfirst\n", "Subject: two\n\nsecond\n"].map {
            try IMAPConnection.AppendItem(flags: [], internalDate: nil, data: MessageData(Array($0.utf8)))
        }
        let status = try await withThrowingTaskGroup(of: ResponseStatus?.self) { group in
            group.addTask { try await connection.append(to: .inbox, items).result().tagged.status }
            group.addTask {
                try await Task.sleep(for: .seconds(5))
                return nil
            }
            let first = try await group.next() ?? nil
            connection.close()  // frees a hung append
            group.cancelAll()
            return first
        }
        #expect(status == .no)
        server.wait()
        #expect(server.received.contains("Subject: one"))
        #expect(!server.received.contains { $0.contains("Subject: two") || $0.contains("{") && !$0.contains("APPEND") })
    }

    @Test("a FETCH stream whose consumer is gone does not pause the connection's reading")
    func droppedIsNotPause() {
        let stream = FetchStream(resume: {})
        stream.finish()
        let sink = FetchSink(stream: stream, tag: "M1")
        #expect(sink.receive(.bodyEnd))
    }
}
