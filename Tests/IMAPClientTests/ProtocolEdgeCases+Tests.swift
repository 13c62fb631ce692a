import Foundation
import IMAPClient
import MailTesting
import Testing

@Suite("IMAP protocol edge cases (scripted server)")
struct ProtocolEdgeCaseTests {
    func configuration(port: Int, security: IMAPConfiguration.Security = .startTLS) -> IMAPConfiguration {
        var configuration = IMAPConfiguration(host: "127.0.0.1", port: port, security: security, username: "me", secret: .password({ "secret-password" }))
        configuration.responseTimeout = 30
        configuration.connectTimeout = 30
        return configuration
    }

    @Test("STARTTLS required but not offered: refused before any credentials are sent")
    func noStartTLS() async throws {
        let server = try ScriptedServer(script: [
            .send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN LOGIN] no TLS here\r\n"), .waitForClose,
        ])
        await #expect {
            try await IMAPConnection.connect(configuration(port: server.port))
        } throws: { error in
            if case IMAPError.startTLSUnavailable = error { return true }
            return false
        }
        await server.wait()
        #expect(!server.received.joined().contains("secret"))
        #expect(!server.received.contains { $0.uppercased().contains("LOGIN") || $0.uppercased().contains("AUTHENTICATE") })
    }

    @Test("bytes after the STARTTLS OK and before the handshake are refused (injection)")
    func startTLSInjection() async throws {
        let server = try ScriptedServer(script: [
            .send("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"),
            .respond(to: "STARTTLS", reply: { "\($0) OK Begin TLS negotiation now\r\n\($0)9 OK LOGIN done (injected)\r\n" }),
            .waitForClose,
        ])
        await #expect {
            try await IMAPConnection.connect(configuration(port: server.port))
        } throws: { error in
            if case IMAPError.bytesBeforeTLS = error { return true }
            return false
        }
        await server.wait()
        #expect(!server.received.joined().contains("secret"))
    }

    @Test("PREAUTH on a connection that should get STARTTLS is refused")
    func preauth() async throws {
        let server = try ScriptedServer(script: [.send("* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] logged in already\r\n"), .waitForClose])
        await #expect {
            try await IMAPConnection.connect(configuration(port: server.port))
        } throws: { error in
            if case IMAPError.preauthWithoutTLS = error { return true }
            return false
        }
        await server.wait()
    }

    @Test("a server that greets with BYE is reported with its words, terminal escapes removed")
    func bye() async throws {
        let server = try ScriptedServer(script: [.send("* BYE Too many connections \u{1b}[31mred\u{1b}[0m\r\n"), .waitForClose])
        await #expect {
            try await IMAPConnection.connect(configuration(port: server.port))
        } throws: { error in
            guard case IMAPError.refusedByServer(let text) = error else { return false }
            return text == "Too many connections red" && !text.contains("\u{1b}")
        }
        await server.wait()
    }

    @Test("a silent server times out instead of hanging")
    func silentServer() async throws {
        let server = try ScriptedServer(script: [.waitForClose])
        var config = configuration(port: server.port)
        config.responseTimeout = 1
        await #expect {
            try await IMAPConnection.connect(config)
        } throws: { error in
            if case IMAPError.timeout = error { return true }
            return false
        }
        await server.wait()
    }

    @Test("XOAUTH2: the failure challenge is answered once with an empty line, then the NO is reported")
    func oauthFailureDance() async throws {
        let server = try ScriptedServer(script: [
            .send("* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2 SASL-IR] ready\r\n"),
            .respond(to: "AUTHENTICATE XOAUTH2", reply: { _ in "+ eyJzdGF0dXMiOiI0MDAifQ==\r\n" }),
            .respond(to: "", reply: { _ in "" }),
            .waitForClose,
        ])
        var config = configuration(port: server.port, security: .plaintext)
        config.secret = .oauth2Token({ "token-123" })
        config.allowPlaintextAuthentication = true
        let task = Task { try await IMAPConnection.connect(config) }
        // Wait (bounded) until the client has answered the challenge, then give up the connect.
        for _ in 0..<500 where server.received.count < 2 { try await Task.sleep(for: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        _ = try? await task.value
        await server.wait()
        // The client sent the AUTHENTICATE line and then exactly one empty response.
        #expect(server.received.count >= 2)
        #expect(server.received.first?.contains("AUTHENTICATE XOAUTH2") == true)
        #expect(server.received.dropFirst().first == "")
    }
}
