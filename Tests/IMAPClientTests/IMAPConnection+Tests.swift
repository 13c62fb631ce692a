import Foundation
import IMAPClient
import IMAPCore
import MailCore
import MailTesting
import Testing

func configuration(_ server: TestServer, user: String, tls: IMAPConfiguration.Security = .implicitTLS, password: String? = nil) -> IMAPConfiguration {
    let port = tls == .implicitTLS ? server.imapsPort : server.imapPort
    let secret = password ?? server.password
    var configuration = IMAPConfiguration(host: server.host, port: port, security: tls, username: user, secret: .password({ secret }))
    configuration.caFile = server.caFile
    configuration.responseTimeout = 20
    return configuration
}

@Suite("IMAP connection against the test Dovecot", .enabled(if: TestServer.isAvailable, TestServer.skipReason), .serialized)
struct IMAPConnectionTests {
    let server = TestServer.current!

    @Test("implicit TLS and STARTTLS both log in, and capabilities are read after TLS", arguments: [IMAPConfiguration.Security.implicitTLS, .startTLS])
    func login(security: IMAPConfiguration.Security) async throws {
        let trace = TraceLog()
        var config = configuration(server, user: "alice", tls: security)
        config.trace = { trace.append($0) }
        let connection = try await IMAPConnection.connect(config)
        #expect(connection.capabilities.contains("IMAP4rev1"))
        #expect(connection.capabilities.contains("UIDPLUS"))  // post-login capabilities
        #expect(!connection.capabilities.contains("STARTTLS"))
        await connection.logout()
        #expect(!trace.text.contains(server.password))
        #expect(trace.text.contains("AUTHENTICATE PLAIN <redacted>"))
    }

    @Test("a wrong password is an authentication error with the server's reason")
    func wrongPassword() async throws {
        await #expect {
            try await IMAPConnection.connect(configuration(server, user: "alice", password: "wrong"))
        } throws: { error in
            guard case IMAPError.authenticationFailed(let text) = error else { return false }
            return text.contains("Authentication failed")
        }
    }

    @Test("a certificate from an untrusted CA is refused", arguments: [IMAPConfiguration.Security.implicitTLS, .startTLS])
    func untrustedCA(security: IMAPConfiguration.Security) async throws {
        var config = configuration(server, user: "alice", tls: security)
        config.caFile = server.otherCAFile
        await #expect {
            try await IMAPConnection.connect(config)
        } throws: { error in
            if case IMAPError.tlsFailed = error { return true }
            return false
        }
    }

    @Test("LIST, CREATE, APPEND (pipelined and MULTIAPPEND), SELECT and a streamed FETCH round trip")
    func roundTrip() async throws {
        let trace = TraceLog()
        var config = configuration(server, user: "bob")
        config.trace = { trace.append($0) }
        let connection = try await IMAPConnection.connect(config)
        defer { Task { await connection.logout() } }
        defer { if ProcessInfo.processInfo.environment["MAILFERRY_TEST_TRACE"] != nil { print(trace.timedText) } }
        let folder = MailboxName("Tëst \(UUID().uuidString.prefix(6))", utf8: connection.usesUTF8)
        try await connection.execute(.create(folder, specialUse: nil))
        let list = try await connection.execute(.list(reference: MailboxName(bytes: []), pattern: MailboxName(bytes: Array("*".utf8)), returnOptions: []))
        #expect(list.untagged.contains { if case .list(let entry) = $0 { entry.name == folder.bytes } else { false } })

        var generator = MessageGenerator(seed: 21)
        let samples = (0..<30).map { _ in generator.next() }
        var submitted: [IMAPConnection.Submitted] = []
        for sample in samples.prefix(20) {
            let item = try IMAPConnection.AppendItem(flags: ["\\Seen"], internalDate: sample.internalDate, data: MessageData(sample.bytes.filter { $0 != 0 }))
            submitted.append(try await connection.append(to: folder, [item]))
        }
        for command in submitted {
            let result = try await command.result()
            #expect(result.tagged.status == .ok)
            guard case .appendUID? = result.tagged.text.code else {
                Issue.record("no APPENDUID")
                continue
            }
        }
        let multi = try samples.suffix(10).map { try IMAPConnection.AppendItem(flags: ["$Forwarded"], internalDate: $0.internalDate, data: MessageData($0.bytes.filter { $0 != 0 })) }
        let multiResult = try await connection.append(to: folder, multi).result()
        guard case .appendUID(_, let uids)? = multiResult.tagged.text.code else {
            Issue.record("MULTIAPPEND without APPENDUID: \(multiResult.tagged)")
            return
        }
        #expect(uids.count == 10)

        let selected = try await connection.execute(.examine(folder, condStore: false))
        #expect(selected.untagged.contains(.exists(30)))

        let stream = connection.makeFetchStream()
        try await connection.fetch(UIDSet(ranges: [1...15]), items: ["UID", "FLAGS", "INTERNALDATE", "BODY.PEEK[]"], into: stream)
        try await connection.fetch(UIDSet(ranges: [16...UInt32.max]), items: ["UID", "FLAGS", "INTERNALDATE", "BODY.PEEK[]"], into: stream)
        var bodies: [[UInt8]] = []
        var current: [UInt8] = []
        var completed = 0
        var dates: [String] = []
        for try await element in stream.events {
            switch element {
            case .event(.bodyBegin): current = []
            case .event(.bodyBytes(let bytes)): current += Array(bytes.readableBytesView)
            case .event(.bodyEnd): bodies.append(current)
            case .event(.response(.untagged(.fetch(_, let attributes)))):
                for case .internalDate(let date) in attributes { dates.append(date) }
            case .completed(_, let response):
                #expect(response.status == .ok)
                completed += 1
            default: break
            }
            if completed == 2 { break }
        }
        #expect(bodies.count == 30)
        for (sample, fetched) in zip(samples, bodies) {
            #expect(Fingerprint.of(fetched) == Fingerprint.of(sample.bytes.filter { $0 != 0 }))
        }
        #expect(dates.map { MessageDate.parseIMAP($0) } == samples.map(\.internalDate))
    }

    @Test("COMPRESS=DEFLATE: a compressed connection carries APPEND and FETCH intact")
    func compressed() async throws {
        var config = configuration(server, user: "bob")
        config.compress = true
        let connection = try await IMAPConnection.connect(config)
        defer { Task { await connection.logout() } }
        #expect(connection.isCompressed)
        let folder = MailboxName("Compressed \(UUID().uuidString.prefix(6))", utf8: false)
        try await connection.execute(.create(folder, specialUse: nil))
        let body = Array(("Subject: squeeze\r\n\r\n" + String(repeating: "compressible line of text\r\n", count: 5000)).utf8)
        let result = try await connection.append(to: folder, [try IMAPConnection.AppendItem(flags: ["\\Seen"], internalDate: nil, data: MessageData(body))]).result()
        #expect(result.tagged.status == .ok)
        _ = try await connection.execute(.examine(folder, condStore: false))
        let stream = connection.makeFetchStream()
        try await connection.fetch(UIDSet(ranges: [1...UInt32.max]), items: ["BODY.PEEK[]"], into: stream)
        var fetched: [UInt8] = []
        for try await element in stream.events {
            if case .event(.bodyBytes(let bytes)) = element { fetched += Array(bytes.readableBytesView) }
            if case .completed = element { break }
        }
        #expect(fetched == body)
    }

    @Test("a server that rejects one APPEND (size limit) answers NO [LIMIT]; the connection goes on")
    func rejectedAppend() async throws {
        let connection = try await IMAPConnection.connect(configuration(server, user: "small"))
        defer { Task { await connection.logout() } }
        let big = try IMAPConnection.AppendItem(flags: [], internalDate: nil, data: MessageData(Array(("Subject: big\r\n\r\n" + String(repeating: "x", count: 200_000)).utf8)))
        let small = try IMAPConnection.AppendItem(flags: [], internalDate: nil, data: MessageData(Array("Subject: small\r\n\r\nhi\r\n".utf8)))
        let first = try await connection.append(to: .inbox, [big])
        let second = try await connection.append(to: .inbox, [small])
        let rejected = try await first.result()
        #expect(rejected.tagged.status == .no)
        #expect(rejected.tagged.text.code == .limit)
        #expect(try await second.result().tagged.status == .ok)
    }
}

final class TraceLog: @unchecked Sendable {
    // @unchecked: all access goes through `lock`.
    private let lock = NSLock()
    private var lines: [String] = []
    private let start = Date()
    func append(_ line: String) {
        let stamp = String(format: "%.3f", Date().timeIntervalSince(start))
        lock.withLock { lines.append(line); stamped.append("\(stamp) \(line.prefix(100))") }
    }
    private var stamped: [String] = []
    var timedText: String { lock.withLock { stamped.joined(separator: "\n") } }
    var text: String { lock.withLock { lines.joined(separator: "\n") } }
}
