import Foundation
import MailTesting
import NetworkProgress
import POP3Client
import Testing

/// A POP3 server that sends, but a byte at a time: `+OK` and then one byte per interval keeps
/// an idle timeout quiet forever; the progress deadline ends the connection.
@Suite("POP3 progress deadline (trickling scripted server)")
struct POP3TricklingServerTests {
    func configuration(port: Int, deadline: Double = 1, window: Double = 1) -> POP3Configuration {
        var configuration = POP3Configuration(
            host: "127.0.0.1", port: port, security: .startTLS, username: "alice", secret: .password({ "s3cret" }))
        configuration.allowPlaintext = true
        configuration.responseTimeout = 60  // the idle timeout must not be what ends these connections
        configuration.progress = ProgressLimits(responseDeadline: deadline, minimumRate: 1024, window: window)
        return configuration
    }

    /// Greets, lists capabilities and logs in at once.
    static let login: [ScriptedServer.Step] = [
        .send("+OK ready\r\n"),
        .answer(to: "CAPA", with: "+OK\r\nUSER\r\nUIDL\r\nPIPELINING\r\n.\r\n"),
        .answer(to: "USER alice", with: "+OK\r\n"),
        .answer(to: "PASS", with: "+OK logged in\r\n"),
    ]

    static func isStall(_ error: any Error, mentioning text: String) -> Bool {
        guard case POP3Error.stalled(let what) = error else { return false }
        return what.contains(text) && POP3Error.stalled(what).isTransient
    }

    @Test("a greeting trickled a byte at a time ends the connection at the response deadline")
    func trickledGreeting() async throws {
        let server = try ScriptedServer(script: [.trickle("+OK POP3 server ready, slowly\r\n", everyMilliseconds: 200), .waitForClose])
        let started = ContinuousClock.now
        await #expect {
            _ = try await POP3Connection.connect(configuration(port: server.port))
        } throws: { Self.isStall($0, mentioning: "the greeting") }
        #expect(ContinuousClock.now - started < .seconds(40))  // generous: the suite runs in parallel on two cores
        await server.wait()
    }

    @Test("a status line trickled a byte at a time ends the connection at the response deadline")
    func trickledStatus() async throws {
        let server = try ScriptedServer(
            script: Self.login + [.answer(to: "NOOP", with: ""), .trickle("+OK still here, just slow\r\n", everyMilliseconds: 200), .waitForClose])
        let connection = try await POP3Connection.connect(configuration(port: server.port))
        let started = ContinuousClock.now
        await #expect {
            try await connection.execute(.noop)
        } throws: { Self.isStall($0, mentioning: "a response line") }
        #expect(ContinuousClock.now - started < .seconds(40))  // generous: the suite runs in parallel on two cores
        await server.wait()
    }

    @Test("+OK and then a message at one byte per interval ends the connection after the rate window")
    func trickledMessage() async throws {
        let message = "Subject: slow\r\n\r\n" + String(repeating: "z", count: 3000) + "\r\n.\r\n"
        let server = try ScriptedServer(
            script: Self.login + [.answer(to: "RETR 1", with: "+OK 3020 octets\r\n"), .trickle(message, everyMilliseconds: 20), .waitForClose])
        let connection = try await POP3Connection.connect(configuration(port: server.port, deadline: 30))
        try await connection.send(.retr(1))
        let status = try await connection.readStatus()
        #expect(status.isOK)
        let started = ContinuousClock.now
        var received = 0
        await #expect {
            try await connection.readMessage { received += $0.readableBytes }
        } throws: { Self.isStall($0, mentioning: "minimum rate") }
        #expect(ContinuousClock.now - started < .seconds(40))  // generous: the suite runs in parallel on two cores
        #expect(received < message.utf8.count)
        await server.wait()
    }
}
