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
        configuration.connectTimeout = 30
        return configuration
    }

    func commands(_ server: ScriptedServer) -> [String] {
        server.received.map { line in
            let words = line.split(separator: " ")
            return words.count > 1 ? words[1...].prefix(2).joined(separator: " ").uppercased() : line
        }
    }

    @Test("a greeting without [CAPABILITY] (Gmail): CAPABILITY before and after authenticating")
    func capabilitiesUnknownAtGreeting() async throws {
        let server = try ScriptedServer(script: [
            .send("* OK Gimap ready for requests\r\n"),
            .respond(to: "CAPABILITY", reply: { "* CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR\r\n\($0) OK Thats all\r\n" }),
            .respond(to: "AUTHENTICATE PLAIN", reply: { "\($0) OK me authenticated (Success)\r\n" }),
            .respond(to: "CAPABILITY", reply: { "* CAPABILITY IMAP4rev1 UIDPLUS X-GM-EXT-1\r\n\($0) OK Success\r\n" }),
            .waitForClose,
        ])
        let connection = try await IMAPConnection.connect(configuration(port: server.port))
        #expect(connection.capabilities.contains("X-GM-EXT-1"))
        #expect(!connection.capabilities.contains("AUTH=PLAIN"))
        connection.close()
        await server.wait()
        #expect(commands(server) == ["CAPABILITY", "AUTHENTICATE PLAIN", "CAPABILITY"])
    }

    @Test("an untagged CAPABILITY in the login result replaces the pre-login list, without asking again")
    func capabilitiesFromLoginResult() async throws {
        let server = try ScriptedServer(script: [
            .send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] ready\r\n"),
            .respond(to: "AUTHENTICATE PLAIN", reply: { "* CAPABILITY IMAP4rev1 X-AFTER-LOGIN\r\n\($0) OK done\r\n" }),
            .waitForClose,
        ])
        let connection = try await IMAPConnection.connect(configuration(port: server.port))
        #expect(connection.capabilities.contains("X-AFTER-LOGIN"))
        #expect(!connection.capabilities.contains("AUTH=PLAIN"))
        connection.close()
        await server.wait()
        #expect(commands(server) == ["AUTHENTICATE PLAIN"])
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
        await server.wait()
        #expect(server.received.contains("Subject: one"))
        #expect(!server.received.contains { $0.contains("Subject: two") || $0.contains("{") && !$0.contains("APPEND") })
    }

    @Test("logout returns within about 3 s when the server never answers LOGOUT")
    func logoutUnanswered() async throws {
        let server = try ScriptedServer(script: [
            .send("* OK [CAPABILITY IMAP4rev1] ready\r\n"),
            .respond(to: "LOGIN", reply: { "\($0) OK [CAPABILITY IMAP4rev1] logged in\r\n" }),
            .waitForClose,
        ])
        let connection = try await IMAPConnection.connect(configuration(port: server.port))
        let start = ContinuousClock.now
        await connection.logout()
        let elapsed = ContinuousClock.now - start
        // The response timeout is 30 s; the logout's own bound is 3 s. Allow for a loaded machine.
        #expect(elapsed < .seconds(10), "logout took \(elapsed)")
        #expect(!connection.isActive)
        await server.wait()
        #expect(commands(server).last == "LOGOUT")
    }

    @Test("close() makes isActive false at once, before the channel has closed")
    func closeIsImmediate() async throws {
        let server = try ScriptedServer(script: [
            .send("* OK [CAPABILITY IMAP4rev1] ready\r\n"),
            .respond(to: "LOGIN", reply: { "\($0) OK [CAPABILITY IMAP4rev1] logged in\r\n" }),
            .waitForClose,
        ])
        let connection = try await IMAPConnection.connect(configuration(port: server.port))
        #expect(connection.isActive)
        // Hold the event loop so that the channel cannot have closed yet.
        let held = DispatchSemaphore(value: 0)
        connection.channel.eventLoop.execute { held.wait() }
        connection.close()
        #expect(!connection.isActive)
        held.signal()
        await server.wait()
    }

    @Test("a FETCH stream whose consumer is gone does not pause the connection's reading")
    func droppedIsNotPause() {
        let stream = FetchStream(resume: {})
        stream.finish()
        let sink = FetchSink(stream: stream, tag: "M1")
        #expect(sink.receive(.bodyEnd))
    }
}
