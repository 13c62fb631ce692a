import Foundation
@testable import IMAPClient
import MailTesting
@testable import Stores
import Testing

@Suite("IMAP connection pool (scripted server)")
struct IMAPConnectionPoolTests {
    func pool(_ server: ScriptedServer, maximum: Int = 1) -> IMAPConnectionPool {
        var configuration = IMAPConfiguration(
            host: "127.0.0.1", port: server.port, security: .plaintext, username: "me", secret: .password({ "pw" }))
        configuration.allowPlaintextAuthentication = true
        configuration.responseTimeout = 30
        configuration.connectTimeout = 30
        return IMAPConnectionPool(configuration: configuration, maximum: maximum, retryDelay: 0.01)
    }

    static let login: [ScriptedServer.Step] = [
        .send("* OK [CAPABILITY IMAP4rev1] ready\r\n"),
        .respond(to: "LOGIN", reply: { "\($0) OK [CAPABILITY IMAP4rev1] logged in\r\n" }),
    ]

    @Test("every connection the pool opens has UTF8=ACCEPT enabled when offered; enabling again sends nothing")
    func utf8OnEveryConnection() async throws {
        let server = try ScriptedServer(script: [
            .send("* OK [CAPABILITY IMAP4rev1 ENABLE UTF8=ACCEPT] ready\r\n"),
            .respond(to: "LOGIN", reply: { "\($0) OK [CAPABILITY IMAP4rev1 ENABLE UTF8=ACCEPT] logged in\r\n" }),
            .respond(to: "ENABLE UTF8=ACCEPT", reply: { "* ENABLED UTF8=ACCEPT\r\n\($0) OK enabled\r\n" }),
            .waitForClose,
        ])
        let pool = pool(server)
        let connection = try await pool.acquire()
        #expect(connection.usesUTF8)
        try await connection.enable(["UTF8=ACCEPT"])  // what IMAPStore.open still does: a no-op now
        connection.close()
        await pool.release(connection)
        await server.wait()
        #expect(server.received.filter { $0.uppercased().contains("ENABLE") }.count == 1)
    }

    @Test("a failed replace, then the caller's release of the old connection, frees the slot once")
    func failedReplace() async throws {
        let server = try ScriptedServer(script: Self.login)  // then closes, and stops listening
        let pool = pool(server)
        let connection = try await pool.acquire()
        await server.wait()
        await #expect(throws: (any Error).self) { try await pool.replace(connection) }
        await pool.release(connection)
        #expect(await pool.openCount == 0)
    }

    @Test("a connection whose close() was called is not put back as idle")
    func closedNotIdled() async throws {
        let server = try ScriptedServer(script: Self.login + [.waitForClose])
        let pool = pool(server)
        let connection = try await pool.acquire()
        // A reader's close(): the channel closes later, on its event loop (held here to be sure).
        let held = DispatchSemaphore(value: 0)
        connection.channel.eventLoop.execute { held.wait() }
        connection.close()
        await pool.release(connection)
        held.signal()
        #expect(await pool.idleCount == 0)
        #expect(await pool.openCount == 0)
        await server.wait()
    }

    @Test("releasing the same connection twice counts once")
    func doubleRelease() async throws {
        let server = try ScriptedServer(script: Self.login + [.waitForClose])
        let pool = pool(server)
        let connection = try await pool.acquire()
        await pool.release(connection)
        await pool.release(connection)
        #expect(await pool.idleCount == 1)
        #expect(await pool.openCount == 1)
        let again = try await pool.acquire()
        #expect(again === connection)
        again.close()
        await pool.release(again)
        #expect(await pool.openCount == 0)
        await server.wait()
    }
}
