import Checkpoints
import Engine
import Foundation
import MailCore
import MailTesting
import Stores
import Testing

/// The content fingerprints of every message a store holds (as a sorted list: duplicates count).
func fingerprints(_ endpoint: StoreEndpoint, options: StoreOptions) async throws -> [String] {
    let source = try await StoreFactory.openSource(endpoint, options: options)
    var prints: [String] = []
    for folder in try await source.listFolders() where folder.isSelectable {
        for try await item in try await source.messages(in: folder) {
            if case .message(let envelope) = item { prints.append(envelope.fingerprint.hex) }
        }
    }
    await source.close()
    return prints.sorted()
}

/// Messages with lines that need dot-stuffing on the wire, and a large one.
func awkwardMessages() -> [[UInt8]] {
    [
        Array("From: a@example.com\r\nSubject: dots\r\nMessage-ID: <dots@example.com>\r\n\r\n.\r\n..\r\n.hidden line\r\n...\r\nend\r\n".utf8),
        Array("From: b@example.com\r\nSubject: big\r\nMessage-ID: <big@example.com>\r\n\r\n".utf8)
            + Array(repeating: Array(".0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n".utf8), count: 4000).flatMap { $0 },
    ]
}

/// Stores raw messages into a folder of a sink.
func storeRaw(_ messages: [[UInt8]], into endpoint: StoreEndpoint, options: StoreOptions) async throws {
    let sink = try await StoreFactory.openSink(endpoint, options: options)
    let writer = try await sink.openFolder(FolderPath(parsing: "INBOX", delimiter: "/")!, subscribe: true)
    let envelopes = messages.enumerated().map { MessageEnvelope(bytes: $1, folder: FolderPath(parsing: "INBOX", delimiter: "/")!, key: SourceKey("raw\($0)")) }
    _ = try await writer.store(envelopes)
    try await writer.close()
    try await sink.close()
}

@Suite("POP3 source against the test Dovecot", .enabled(if: TestServer.isAvailable, TestServer.skipReason), .serialized)
struct POP3StoreTests {
    let server = TestServer.current!

    func pop3(_ user: String, stls: Bool = false, port: Int? = nil) throws -> StoreEndpoint {
        try StoreEndpoint(parsing: "\(stls ? "pop3" : "pop3s")://\(user)@\(server.host):\(port ?? (stls ? server.pop3Port : server.pop3sPort))")
    }

    /// Fills a user's INBOX over IMAP with `count` generated messages (and the awkward ones).
    func seed(_ user: String, count: Int, seed: UInt64, awkward: Bool = false) async throws {
        let options = serverOptions(server)
        try await fill(try imap(server, user), options: options, folders: [("INBOX", count)], seed: seed)
        if awkward { try await storeRaw(awkwardMessages(), into: try imap(server, user), options: options) }
    }

    func messagesOnServer(_ user: String) async throws -> Int {
        let source = try await StoreFactory.openSource(try pop3(user), options: serverOptions(server))
        let count = try await source.listFolders().first?.messageCount ?? -1
        await source.close()
        return count
    }

    enum Destination: String, CaseIterable, Sendable { case maildir, mbox, imap, maildirOverSTLS }

    @Test("POP3 → Maildir, mbox and IMAP: every message byte for byte, dot-stuffed lines included; the server keeps them", arguments: Destination.allCases)
    func copiesEverywhere(to destination: Destination) async throws {
        try server.reset(user: "popa")
        try server.reset(user: "popdst")
        try await seed("popa", count: 12, seed: 51, awkward: true)
        let directory = try TemporaryDirectory("pop3-copy")
        defer { directory.remove() }
        var options = serverOptions(server)
        options.pop3.markSeen = destination == .imap
        let target: StoreEndpoint
        switch destination {
        case .maildir, .maildirOverSTLS: target = .maildir(path: directory.file("Maildir"))
        case .mbox: target = .mbox(path: directory.file("pop.mbox"))
        case .imap: target = try imap(server, "popdst", folder: "Imported/POP")
        }
        let report = try await checkpointedCopy(
            try pop3("popa", stls: destination == .maildirOverSTLS), target, options: options, checkpoint: directory.file("cp.sqlite"))
        #expect(report.outcome == .complete, "\(report.text)")
        #expect(report.totals.copied == 14)
        #expect(report.folders.map(\.source) == ["INBOX"])
        let original = try await fingerprints(try imap(server, "popa"), options: options)
        #expect(original.count == 14)
        #expect(try await fingerprints(target, options: options) == original)
        #expect(try await messagesOnServer("popa") == 14, "--leave-on-server is the default")
        if destination == .imap {
            let copied = try await StoreFactory.openSource(target, options: options)
            let folder = try #require(try await copied.listFolders().first { $0.path.displayName == "Imported/POP" })
            for try await item in try await copied.messages(in: folder) {
                if case .message(let envelope) = item { #expect(envelope.flags.system.contains(.seen)) }
            }
            await copied.close()
        }
    }

    @Test("an incremental rerun fetches only the new messages; an unchanged mailbox fetches nothing")
    func incremental() async throws {
        try server.reset(user: "popa")
        try await seed("popa", count: 10, seed: 52)
        let directory = try TemporaryDirectory("pop3-incremental")
        defer { directory.remove() }
        let options = serverOptions(server)
        let target = StoreEndpoint.maildir(path: directory.file("Maildir"))
        let checkpoint = directory.file("cp.sqlite")
        let first = try await checkpointedCopy(try pop3("popa"), target, options: options, checkpoint: checkpoint)
        #expect(first.totals.copied == 10)
        let unchanged = try await checkpointedCopy(try pop3("popa"), target, options: options, checkpoint: checkpoint)
        #expect(unchanged.totals.copied == 0 && unchanged.nothingToDo && unchanged.folders.first?.upToDate == true)
        try await seed("popa", count: 5, seed: 53)
        let second = try await checkpointedCopy(try pop3("popa"), target, options: options, checkpoint: checkpoint)
        #expect(second.totals.copied == 5)
        #expect(second.totals.skipped == 10)
        #expect(try await fingerprints(target, options: options) == fingerprints(try imap(server, "popa"), options: options))
    }

    @Test("--delete-after-copy deletes exactly the messages the destination stored; refused ones stay on the server")
    func deletesOnlyStored() async throws {
        try server.reset(user: "popb")
        try server.reset(user: "popsmall")
        try await seed("popb", count: 6, seed: 54, awkward: true)  // the awkward "big" one is over popsmall's 100 KB limit
        let directory = try TemporaryDirectory("pop3-delete")
        defer { directory.remove() }
        let options = serverOptions(server)
        let report = try await checkpointedCopy(
            try pop3("popb"), try imap(server, "popsmall"), options: options, checkpoint: directory.file("cp.sqlite")
        ) { $0.removal = SourceRemovalPolicy() }
        #expect(report.totals.copied == 7, "\(report.text)")
        #expect(report.totals.failed == 1)
        #expect(report.totals.removedFromSource == 7)
        let left = try await StoreFactory.openSource(try pop3("popb"), options: options)
        let folder = try #require(try await left.listFolders().first)
        #expect(folder.messageCount == 1)
        for try await item in try await left.messages(in: folder) {
            if case .message(let envelope) = item { #expect(envelope.messageID == "<big@example.com>") }
        }
        await left.close()
    }

    @Test("--delete-older-than keeps recent mail; the cutoff is the arrival date in the headers")
    func deletesOlderThan() async throws {
        try server.reset(user: "popb")
        let old = Array("Received: from x by y; Mon, 1 Jan 2001 10:00:00 +0000\r\nMessage-ID: <old@example.com>\r\nSubject: old\r\n\r\nold\r\n".utf8)
        let recent = Array("Received: from x by y; \(MessageDate.formatRFC5322(Date()))\r\nMessage-ID: <new@example.com>\r\nSubject: new\r\n\r\nnew\r\n".utf8)
        let undated = Array("Message-ID: <undated@example.com>\r\nSubject: undated\r\n\r\nno date\r\n".utf8)
        try await storeRaw([old, recent, undated], into: try imap(server, "popb"), options: serverOptions(server))
        let directory = try TemporaryDirectory("pop3-older")
        defer { directory.remove() }
        let report = try await checkpointedCopy(
            try pop3("popb"), .maildir(path: directory.file("Maildir")), options: serverOptions(server), checkpoint: directory.file("cp.sqlite")
        ) { $0.removal = SourceRemovalPolicy(olderThan: Date().addingTimeInterval(-30 * 86_400)) }
        #expect(report.totals.copied == 3)
        #expect(report.totals.removedFromSource == 1)
        #expect(report.notes.contains { $0.contains("2 copied message(s) were left on the source") })
        #expect(try await messagesOnServer("popb") == 2)
    }

    @Test("a connection dropped before QUIT deletes nothing; the next run deletes without copying again")
    func droppedBeforeQuit() async throws {
        try server.reset(user: "popb")
        try await seed("popb", count: 8, seed: 55)
        let directory = try TemporaryDirectory("pop3-quit")
        defer { directory.remove() }
        let proxy = try CuttingProxy(
            upstreamPort: server.pop3Port, cut: .before(pattern: "QUIT"), direction: .clientToServer, hideStartTLS: true)
        var plain = serverOptions(server)
        plain.source.allowPlaintext = true
        let target = StoreEndpoint.maildir(path: directory.file("Maildir"))
        let checkpoint = directory.file("cp.sqlite")
        let cut = try await checkpointedCopy(
            try pop3("popb", stls: true, port: proxy.port), target, options: plain, checkpoint: checkpoint,
            identity: JobIdentity(source: try pop3("popb").jobKey, destination: target.jobKey)
        ) { $0.removal = SourceRemovalPolicy() }
        #expect(proxy.cuts == 1)
        #expect(cut.totals.copied == 8)
        #expect(cut.totals.removedFromSource == 0)
        #expect(cut.failures.contains { $0.reason.contains("none were deleted") }, "\(cut.text)")
        #expect(try await messagesOnServer("popb") == 8)
        let again = try await checkpointedCopy(
            try pop3("popb"), target, options: serverOptions(server), checkpoint: checkpoint
        ) { $0.removal = SourceRemovalPolicy() }
        #expect(again.totals.copied == 0 && again.totals.skipped == 8, "\(again.text)")
        #expect(again.totals.removedFromSource == 8)
        #expect(try await messagesOnServer("popb") == 0)
        #expect(try await fingerprints(target, options: serverOptions(server)).count == 8)
    }

    @Test("a connection cut mid-RETR is reopened and the copy completes, each message once")
    func cutMidRetr() async throws {
        try server.reset(user: "popa")
        try await seed("popa", count: 20, seed: 56)
        let directory = try TemporaryDirectory("pop3-cut")
        defer { directory.remove() }
        var plain = serverOptions(server)
        plain.source.allowPlaintext = true
        let hidden = try CuttingProxy(upstreamPort: server.pop3Port, cut: .afterBytes(12_000), direction: .serverToClient, hideStartTLS: true)
        let target = StoreEndpoint.maildir(path: directory.file("Maildir"))
        let report = try await checkpointedCopy(
            try pop3("popa", stls: true, port: hidden.port), target, options: plain, checkpoint: directory.file("cp.sqlite"))
        #expect(hidden.cuts == 1)
        #expect(report.outcome == .complete, "\(report.text)")
        #expect(report.totals.copied == 20)
        #expect(try await fingerprints(target, options: plain) == fingerprints(try imap(server, "popa"), options: plain))
    }
}

/// Identities a real server does not produce, played by a scripted POP3 server.
@Suite("POP3 message identity against a scripted server")
struct POP3IdentityTests {
    @Test("a shared UIDL keeps both messages; a malformed UIDL is never used, the headers identify the message")
    func uidlFallbacks() async throws {
        let messages = [
            "Message-ID: <one@x>\r\nSubject: one\r\n\r\nfirst\r\n",
            "Message-ID: <two@x>\r\nSubject: two\r\n\r\nsecond\r\n",
            "Message-ID: <three@x>\r\nSubject: three\r\n\r\nthird\r\n",
        ]
        func headers(_ text: String) -> String { String(text[..<text.range(of: "\r\n\r\n")!.upperBound]) }
        let sizes = messages.enumerated().map { "\($0 + 1) \($1.utf8.count)\r\n" }.joined()
        var script: [ScriptedServer.Step] = [
            .send("+OK ready\r\n"),
            .answer(to: "CAPA", with: "+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n"),
            .answer(to: "USER", with: "+OK\r\n"),
            .answer(to: "PASS", with: "+OK\r\n"),
            .answer(to: "CAPA", with: "+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n"),
            .answer(to: "LIST", with: "+OK\r\n\(sizes).\r\n"),
            .answer(to: "UIDL", with: "+OK\r\n1 shared\r\n2 shared\r\n3 not/../a valid uidl\r\n.\r\n"),
        ]
        for (index, message) in messages.enumerated() {
            script.append(.answer(to: "TOP \(index + 1) 0", with: "+OK\r\n\(headers(message)).\r\n"))
        }
        for (index, message) in messages.enumerated() {
            script.append(.answer(to: "RETR \(index + 1)", with: "+OK\r\n\(message).\r\n"))
        }
        script.append(.answer(to: "QUIT", with: "+OK bye\r\n"))
        let server = try ScriptedServer(script: script)
        var options = StoreOptions()
        options.source.password = .command("echo pw")
        options.source.allowPlaintext = true
        let source = try await StoreFactory.openSource(try StoreEndpoint(parsing: "pop3://me@127.0.0.1:\(server.port)"), options: options)
        let folder = try #require(try await source.listFolders().first)
        #expect(folder.messageCount == 3)
        let problems = await source.listingProblems()
        #expect(problems.count == 1 && problems.first?.messageNumber == 3, "\(problems)")
        var keys: [String] = []
        let stream = try await source.messages(in: folder)
        for try await item in stream {
            if case .message(let envelope) = item { keys.append(envelope.key.value) }
        }
        stream.reader.close()
        await source.close()
        await server.wait()
        #expect(keys.count == 3 && Set(keys).count == 3)
        #expect(keys[0].hasPrefix("uidl:shared#") && keys[1].hasPrefix("uidl:shared#"))
        #expect(keys[2].hasPrefix("top:") && !keys[2].contains("/"))
        #expect(server.received.last == "QUIT")
    }
}
