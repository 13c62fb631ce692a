import Foundation
import IMAPClient
import IMAPCore
import MailTesting
import NetworkProgress
import Testing

/// A server that sends, but a byte at a time: the idle timeout never fires, the progress
/// deadline must.
@Suite("IMAP progress deadline (trickling scripted server)")
struct IMAPTricklingServerTests {
    static let greeting = "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] ready\r\n"

    func configuration(port: Int, deadline: Double = 1, rate: Int = 1024, window: Double = 1) -> IMAPConfiguration {
        var configuration = IMAPConfiguration(
            host: "127.0.0.1", port: port, security: .plaintext, username: "me", secret: .password({ "secret" }))
        configuration.allowPlaintextAuthentication = true
        configuration.responseTimeout = 60  // the idle timeout must not be what ends these connections
        configuration.progress = ProgressLimits(responseDeadline: deadline, minimumRate: rate, window: window)
        return configuration
    }

    /// The script of a server that greets and logs in at once.
    static let login: [ScriptedServer.Step] = [
        .send(greeting),
        .respond(to: "AUTHENTICATE PLAIN", reply: { "\($0) OK [CAPABILITY IMAP4rev1] logged in\r\n" }),
    ]

    static func isStall(_ error: any Error, mentioning text: String) -> Bool {
        guard case IMAPError.stalled(let what) = error else { return false }
        return what.contains(text) && IMAPError.stalled(what).isTransient
    }

    @Test("a greeting trickled a byte at a time ends the connection at the response deadline")
    func trickledGreeting() async throws {
        let server = try ScriptedServer(script: [.trickle(Self.greeting, everyMilliseconds: 200), .waitForClose])
        let started = ContinuousClock.now
        await #expect {
            try await IMAPConnection.connect(configuration(port: server.port))
        } throws: { Self.isStall($0, mentioning: "the greeting") }
        // The deadline is 1 s; the idle timeout (60 s) and the trickle (11 s) are far longer.
        #expect(ContinuousClock.now - started < .seconds(40))  // generous: the suite runs in parallel on two cores
        await server.wait()
    }

    @Test("a response line trickled a byte at a time ends the connection at the response deadline")
    func trickledResponse() async throws {
        let server = try ScriptedServer(
            script: Self.login + [
                .respondSlowly(to: "NOOP", reply: { "\($0) OK NOOP completed, but very very slowly\r\n" }, everyMilliseconds: 200),
                .waitForClose,
            ])
        let connection = try await IMAPConnection.connect(configuration(port: server.port))
        let started = ContinuousClock.now
        await #expect {
            try await connection.execute(.noop)
        } throws: { Self.isStall($0, mentioning: "a response line") }
        #expect(ContinuousClock.now - started < .seconds(40))  // generous: the suite runs in parallel on two cores
        await server.wait()
    }

    @Test("a FETCH literal trickled below the minimum rate ends the connection after the window")
    func trickledLiteral() async throws {
        let body = String(repeating: "x", count: 4000)
        let server = try ScriptedServer(
            script: Self.login + [
                .respond(to: "UID FETCH", reply: { _ in "* 1 FETCH (UID 7 BODY[] {\(body.utf8.count + 2)}\r\n" }),
                .trickle(body, everyMilliseconds: 20),
                .waitForClose,
            ])
        let connection = try await IMAPConnection.connect(configuration(port: server.port, deadline: 30))
        let stream = connection.makeFetchStream()
        try await connection.fetch(UIDSet(ranges: [7...7]), items: ["UID", "BODY.PEEK[]"], into: stream)
        let started = ContinuousClock.now
        var bodyBytes = 0
        await #expect {
            for try await element in stream.events {
                if case .event(.bodyBytes(let piece)) = element { bodyBytes += piece.readableBytes }
            }
        } throws: { Self.isStall($0, mentioning: "minimum rate") }
        // About 50 bytes/s against 1024: ended after the 1 s window, not after the 80 s trickle
        // (the 30 s response deadline does not apply inside a literal).
        #expect(ContinuousClock.now - started < .seconds(40))  // generous: the suite runs in parallel on two cores
        #expect(bodyBytes < body.utf8.count)
        await server.wait()
    }

    @Test("while the consumer holds reads back, the server is not timed; the FETCH then completes")
    func pausedReadsAreNotTheServersFault() async throws {
        let body = String(repeating: "y", count: 2 << 20)
        let server = try ScriptedServer(
            script: Self.login + [
                .respond(to: "UID FETCH", reply: { "* 1 FETCH (UID 9 BODY[] {\(body.utf8.count)}\r\n\(body))\r\n\($0) OK done\r\n" }),
                .waitForClose,
            ])
        // A rate only a consumer that reads at once could meet: unpaused, the window would expire.
        let connection = try await IMAPConnection.connect(
            configuration(port: server.port, deadline: 1, rate: 512 << 20, window: 0.5))
        let stream = connection.makeFetchStream()
        try await connection.fetch(UIDSet(ranges: [9...9]), items: ["UID", "BODY.PEEK[]"], into: stream)
        try await Task.sleep(for: .seconds(2))  // the consumer is behind: reads pause
        var bodyBytes = 0
        var completed = false
        for try await element in stream.events {
            switch element {
            case .event(.bodyBytes(let piece)): bodyBytes += piece.readableBytes
            case .completed(_, let response):
                completed = response.status == .ok
                stream.finish()
            default: break
            }
        }
        #expect(completed)
        #expect(bodyBytes == body.utf8.count)
        connection.close()
        await server.wait()
    }
}
