import Foundation
import MailCore
import MailTesting
import POP3Client
import Testing

/// Edge cases no real server produces, played by a scripted server on 127.0.0.1.
@Suite("POP3 connection against scripted servers")
struct POP3ConnectionTests {
    func configuration(port: Int, security: POP3Configuration.Security = .startTLS) -> POP3Configuration {
        var configuration = POP3Configuration(
            host: "127.0.0.1", port: port, security: security, username: "alice", secret: .password({ "s3cret" }))
        configuration.connectTimeout = 30
        configuration.responseTimeout = 30
        return configuration
    }

    @Test("STLS required but not offered: refused before any credential is sent")
    func stlsNotOffered() async throws {
        let server = try ScriptedServer(script: [
            .send("+OK ready\r\n"),
            .answer(to: "CAPA", with: "+OK\r\nUSER\r\nSASL PLAIN\r\nUIDL\r\n.\r\n"),
            .waitForClose,
        ])
        await #expect {
            _ = try await POP3Connection.connect(configuration(port: server.port))
        } throws: { error in
            guard case POP3Error.stlsUnavailable = error else { return false }
            return true
        }
        await server.wait()
        #expect(server.received == ["CAPA"])
    }

    @Test("bytes injected after STLS's +OK end the connection before TLS and credentials")
    func injectionAfterSTLS() async throws {
        let server = try ScriptedServer(script: [
            .send("+OK ready\r\n"),
            .answer(to: "CAPA", with: "+OK\r\nSTLS\r\nUSER\r\n.\r\n"),
            .answer(to: "STLS", with: "+OK begin TLS\r\n+OK injected\r\n"),
            .waitForClose,
        ])
        await #expect {
            _ = try await POP3Connection.connect(configuration(port: server.port))
        } throws: { error in
            guard case POP3Error.bytesBeforeTLS = error else { return false }
            return true
        }
        await server.wait()
        #expect(server.received == ["CAPA", "STLS"])
    }

    @Test("plaintext only when explicitly allowed; then SASL PLAIN is preferred, and PIPELINING offered before login is not asked again")
    func plaintextAllowed() async throws {
        let server = try ScriptedServer(script: [
            .send("+OK ready\r\n"),
            .answer(to: "CAPA", with: "+OK\r\nUSER\r\nSASL PLAIN LOGIN\r\nPIPELINING\r\n.\r\n"),
            .answer(to: "AUTH PLAIN", with: "+OK logged in\r\n"),
            .answer(to: "QUIT", with: "+OK bye\r\n"),
        ])
        var configuration = configuration(port: server.port)
        configuration.allowPlaintext = true
        let connection = try await POP3Connection.connect(configuration)
        #expect(connection.supportsPipelining)
        try await connection.quit()
        await server.wait()
        let plain = Data([0] + Array("alice".utf8) + [0] + Array("s3cret".utf8)).base64EncodedString()
        #expect(server.received == ["CAPA", "AUTH PLAIN \(plain)", "QUIT"])
    }

    @Test("AUTH LOGIN answers both challenges, and the next listing is read as a listing")
    func authLoginThenListing() async throws {
        let server = try ScriptedServer(script: [
            .send("+OK ready\r\n"),
            .answer(to: "CAPA", with: "+OK\r\nSASL LOGIN\r\n.\r\n"),
            .answer(to: "AUTH LOGIN", with: "+ VXNlcm5hbWU6\r\n"),
            .answer(to: "YWxpY2U=", with: "+ UGFzc3dvcmQ6\r\n"),
            .answer(to: "czNjcmV0", with: "+OK logged in\r\n"),
            .answer(to: "CAPA", with: "+OK\r\nUIDL\r\n.\r\n"),
            .answer(to: "LIST", with: "+OK\r\n1 120\r\n.\r\n"),
            .answer(to: "QUIT", with: "+OK\r\n"),
        ])
        var configuration = configuration(port: server.port)
        configuration.allowPlaintext = true
        let connection = try await POP3Connection.connect(configuration)
        #expect(try await connection.listing(.list) == [Array("1 120".utf8)])
        try await connection.quit()
        await server.wait()
        #expect(server.received == ["CAPA", "AUTH LOGIN", "YWxpY2U=", "czNjcmV0", "CAPA", "LIST", "QUIT"])
    }

    @Test("USER/PASS when the server offers no SASL; a rejected password is an authentication error")
    func userPassRejected() async throws {
        let server = try ScriptedServer(script: [
            .send("+OK ready\r\n"),
            .answer(to: "CAPA", with: "-ERR unknown command\r\n"),
            .answer(to: "USER alice", with: "+OK\r\n"),
            .answer(to: "PASS", with: "-ERR [AUTH] invalid password\r\n"),
            .waitForClose,
        ])
        var configuration = configuration(port: server.port)
        configuration.allowPlaintext = true
        await #expect {
            _ = try await POP3Connection.connect(configuration)
        } throws: { error in
            guard case POP3Error.authenticationFailed(let text, let temporary) = error else { return false }
            return text == "invalid password" && !temporary
        }
        await server.wait()
        #expect(server.received == ["CAPA", "USER alice", "PASS s3cret"])
    }

    @Test("APOP only when allowed, with RFC 1939's digest")
    func apop() async throws {
        let greeting = "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"
        let refusing = try ScriptedServer(script: [
            .send(greeting), .answer(to: "CAPA", with: "-ERR\r\n"), .waitForClose,
        ])
        var configuration = configuration(port: refusing.port)
        configuration.allowPlaintext = true
        configuration.secret = .password({ "tanstaaf" })
        configuration.username = "mrose"
        configuration.mechanism = .apop
        await #expect {
            _ = try await POP3Connection.connect(configuration)
        } throws: { error in
            guard case POP3Error.noUsableMechanism = error else { return false }
            return true
        }
        await refusing.wait()
        #expect(refusing.received == ["CAPA"])

        let server = try ScriptedServer(script: [
            .send(greeting), .answer(to: "CAPA", with: "-ERR\r\n"),
            .answer(to: "APOP", with: "+OK maildrop has 0 messages\r\n"),
            .answer(to: "CAPA", with: "-ERR\r\n"),
            .answer(to: "QUIT", with: "+OK\r\n"),
        ])
        configuration.port = server.port
        configuration.allowAPOP = true
        let connection = try await POP3Connection.connect(configuration)
        try await connection.quit()
        await server.wait()
        #expect(server.received.contains("APOP mrose c4c9334bac560ecc979e58001b3e22fb"))
    }

    @Test("an oversize response line ends the connection with a clear error")
    func oversizeLine() async throws {
        let server = try ScriptedServer(script: [
            .send("+OK " + String(repeating: "x", count: 5000) + "\r\n"), .waitForClose,
        ])
        await #expect {
            _ = try await POP3Connection.connect(configuration(port: server.port))
        } throws: { error in
            guard case POP3Error.parser(.lineTooLong(let maximum)) = error else { return false }
            return maximum == 1024
        }
        await server.wait()
    }

    @Test("a hostile listing and an oversize message are refused at their limits, not buffered")
    func hostileMultiLine() async throws {
        let endless = String(repeating: "1 1\r\n", count: 200)
        let server = try ScriptedServer(script: [
            .send("+OK ready\r\n"),
            .answer(to: "CAPA", with: "+OK\r\nUSER\r\n.\r\n"),
            .answer(to: "USER", with: "+OK\r\n"),
            .answer(to: "PASS", with: "+OK\r\n"),
            .answer(to: "CAPA", with: "+OK\r\nUSER\r\n.\r\n"),
            .answer(to: "LIST", with: "+OK\r\n" + endless),
            .waitForClose,
        ])
        var configuration = configuration(port: server.port)
        configuration.allowPlaintext = true
        configuration.parserLimits.maximumListingLines = 100
        let connection = try await POP3Connection.connect(configuration)
        await #expect {
            _ = try await connection.listing(.list)
        } throws: { error in
            guard case POP3Error.parser(.tooManyLines(let maximum)) = error else { return false }
            return maximum == 100
        }
        await server.wait()

        let big = try ScriptedServer(script: [
            .send("+OK ready\r\n"),
            .answer(to: "CAPA", with: "+OK\r\nUSER\r\n.\r\n"),
            .answer(to: "USER", with: "+OK\r\n"),
            .answer(to: "PASS", with: "+OK\r\n"),
            .answer(to: "CAPA", with: "+OK\r\nUSER\r\n.\r\n"),
            .answer(to: "RETR 1", with: "+OK\r\n" + String(repeating: "0123456789abcdef\r\n", count: 2000)),
            .waitForClose,
        ])
        configuration.port = big.port
        configuration.parserLimits.maximumMessageSize = 10_000
        let second = try await POP3Connection.connect(configuration)
        try await second.send(.retr(1))
        #expect(try await second.readStatus().isOK)
        var received = 0
        await #expect {
            try await second.readMessage { received += $0.readableBytes }
        } throws: { error in
            guard case POP3Error.parser(.messageTooLarge(let maximum)) = error else { return false }
            return maximum == 10_000
        }
        #expect(received <= 10_000)
        await big.wait()
    }
}
