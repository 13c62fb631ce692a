import Engine
import Foundation
import MailCore
import MailTesting
import Stores
import Testing

/// Messages whose Message-ID cannot identify them: the field name in odd case with no angle
/// brackets and spaces (the one issue 17 saw delivered twice), folded before and inside the ID,
/// empty, with a space inside the brackets, absent; two different messages sharing one ID; and
/// exact copies (the same bytes twice), in one batch and in different batches.
enum AwkwardMessageIDs {
    /// One message with CRLF line endings; `headers` come first, verbatim.
    static func message(_ headers: [String], body: String) -> [UInt8] {
        let all = headers + [
            "From: Torture <torture@example.com>", "To: dst@example.com", "Date: Tue, 1 Dec 2026 10:00:00 +0000",
        ]
        return Array((all.joined(separator: "\r\n") + "\r\n\r\n" + body + "\r\n").utf8)
    }

    static let oddCase = message(["MESSAGE-id: not-a-valid-id@ torture example", "Subject: odd case"], body: "odd")
    static let twice = message(["Message-ID: <twice@torture.example>", "Subject: exactly twice"], body: "twice")
    static let noIDTwice = message(["Subject: no Message-ID, exactly twice"], body: "no id, twice")

    /// INBOX: 14 messages; with batches of 3 the two `twice` copies are in different batches and
    /// the two `noIDTwice` copies in one.
    static let inbox: [[UInt8]] = [
        message(["Message-ID: <plain-1@torture.example>", "Subject: plain"], body: "plain 1"),
        oddCase,
        twice,
        message(["Message-ID:", " <folded-before@torture.example>", "Subject: folded"], body: "folded before the ID"),
        message(["Subject: no Message-ID"], body: "no id"),
        twice,
        message(["Message-ID: <shared@torture.example>", "Subject: first sharing"], body: "first of two sharing an ID"),
        message(["Message-ID: <shared@torture.example>", "Subject: second sharing"], body: "second of two sharing an ID"),
        message(["Message-Id: <folded-inside-", " the-id@torture.example>", "Subject: folded inside"], body: "folded inside"),
        message(["Message-ID: <>", "Subject: empty"], body: "empty id"),
        noIDTwice,
        noIDTwice,
        message(["Message-ID: <with space@torture.example>", "Subject: space"], body: "space inside the brackets"),
        message(["Message-ID: <plain-2@torture.example>", "Subject: plain"], body: "plain 2"),
    ]
    /// A second folder holding copies of INBOX messages (the same IDs and bytes in another folder).
    static let archive: [[UInt8]] = [
        oddCase, noIDTwice, message(["Message-ID: <plain-3@torture.example>", "Subject: plain"], body: "plain 3"),
    ]

    static func envelopes(_ messages: [[UInt8]], folder: FolderPath) -> [MessageEnvelope] {
        messages.enumerated().map { index, bytes in
            MessageEnvelope(
                bytes: bytes, folder: folder, key: SourceKey("k\(index)"),
                internalDate: Date(timeIntervalSince1970: 1_796_000_000 + Double(index) * 60))
        }
    }

    /// Writes both folders into `sink` and closes it.
    static func write(into sink: any MessageSink) async throws {
        for (name, messages) in [("INBOX", inbox), ("Archive", archive)] {
            let folder = FolderPath(parsing: name, delimiter: "/")!
            let writer = try await sink.openFolder(folder, subscribe: true)
            let outcomes = try await writer.store(envelopes(messages, folder: folder))
            #expect(outcomes.allSatisfy { if case .stored = $0 { true } else { false } }, "\(outcomes)")
            try await writer.close()
        }
        try await sink.close()
    }
}

extension CrashAtEveryStepTests {
    @Test("mbox → Maildir, Message-IDs that cannot identify a message and exact copies: each lands exactly once")
    func awkwardMessageIDsIntoMaildir() async throws {
        let directory = try TemporaryDirectory("crash-message-ids")
        defer { directory.remove() }
        try await AwkwardMessageIDs.write(into: try await StoreFactory.openSink(.mbox(path: directory.file("source/"))))
        let target = directory.file("Maildir")
        let checkpoint = directory.file("job.sqlite")
        let total = AwkwardMessageIDs.inbox.count + AwkwardMessageIDs.archive.count
        let steps = try await CrashHarness.run(
            arguments: [
                "copy", "mbox:\(directory.file("source/"))", "maildir:\(target)", "--checkpoint", checkpoint,
                "--batch-messages", "3", "--quiet",
            ],
            environment: [:],
            reset: {
                for path in [target, checkpoint, checkpoint + ".job", checkpoint + "-wal", checkpoint + "-shm"] {
                    try? FileManager.default.removeItem(atPath: path)
                }
            },
            check: { step in
                await CrashHarness.expectSame(
                    try await StoreFactory.openSource(.mbox(path: directory.file("source/"))),
                    try await StoreFactory.openSource(.maildir(path: target)), step: step, folders: 2, messages: total)
            })
        #expect(steps >= 20)
    }
}

extension IMAPCrashAtEveryStepTests {
    @Test("IMAP → IMAP, Message-IDs that cannot identify a message: killed at every step and resumed, each lands exactly once")
    func awkwardMessageIDs() async throws {
        try server.reset(user: "crashsrc")
        let directory = try TemporaryDirectory("imap-crash-message-ids")
        defer { directory.remove() }
        let source = try StoreEndpoint(parsing: url("crashsrc"))
        let destination = try StoreEndpoint(parsing: url("crashdst"))
        try await AwkwardMessageIDs.write(into: try await StoreFactory.openSink(source, options: options()))
        let checkpoint = directory.file("job.sqlite")
        let total = AwkwardMessageIDs.inbox.count + AwkwardMessageIDs.archive.count
        let steps = try await CrashHarness.run(
            arguments: [
                "copy", url("crashsrc"), url("crashdst"), "--checkpoint", checkpoint, "--ca-file", server.caFile,
                "--batch-messages", "3", "--quiet",
            ],
            environment: ["MAILFERRY_SOURCE_PASSWORD": server.password, "MAILFERRY_DEST_PASSWORD": server.password],
            reset: {
                try server.reset(user: "crashdst")
                for path in [checkpoint, checkpoint + ".job", checkpoint + "-wal", checkpoint + "-shm"] {
                    try? FileManager.default.removeItem(atPath: path)
                }
            },
            check: { step in
                await CrashHarness.expectSame(
                    try await StoreFactory.openSource(source, options: options()),
                    try await StoreFactory.openDestinationForReading(destination, options: options()), step: step,
                    folders: 2, messages: total)
            })
        // INBOX: 5 batches × 3 steps, Archive: 1 × 3, one step per folder.
        #expect(steps >= 20)
    }

    @Test("locate finds every in-flight message by content, whatever its Message-ID, each stored copy once")
    func locateAwkwardMessageIDs() async throws {
        try server.reset(user: "crashdst")
        let destination = try StoreEndpoint(parsing: url("crashdst"))
        // An 8-bit ID too (written directly, so no repair touches it).
        let latin1 = Array("Message-ID: <caf".utf8) + [0xE9] + Array("@torture.example>\r\n".utf8)
            + AwkwardMessageIDs.message(["Subject: 8-bit id"], body: "latin-1")
        let stored = AwkwardMessageIDs.envelopes(AwkwardMessageIDs.inbox + [latin1], folder: .inbox)
        let sink = try await StoreFactory.openSink(destination, options: options())
        let writer = try await sink.openFolder(.inbox, subscribe: false)
        let before = try await writer.position()
        let outcomes = try await writer.store(stored)
        let after = try await writer.position()
        try await writer.close()
        try await sink.close()
        var references: [SourceKey: String] = [:]
        for (envelope, outcome) in zip(stored, outcomes) {
            guard case .stored(let message) = outcome else { Issue.record("not stored: \(outcome)"); return }
            references[envelope.key] = message.reference
        }
        // Never stored: an odd-case, unbracketed ID like a stored one's.
        let absent = MessageEnvelope(
            bytes: AwkwardMessageIDs.message(["message-ID: not-a-valid-id@ torture example"], body: "never sent"),
            folder: .inbox, key: SourceKey("absent"))

        // As a resumed run does: a new session, the positions saved before the write.
        let resumed = try await StoreFactory.openSink(destination, options: options())
        let again = try await resumed.openFolder(.inbox, subscribe: false)
        let pending = (stored + [absent]).map { PendingMessage(record: MessageRecord($0), position: before) }
        let found = try await again.locate(pending)
        let late = try await again.locate(pending.map { PendingMessage(record: $0.record, position: after) })
        try await again.close()
        try await resumed.close()

        #expect(found[absent.key] == nil)
        #expect(found.count == stored.count, "\(found)")
        // Each stored copy claimed once; exact copies may pair either way round, the rest exactly.
        #expect(Set(found.values) == Set(references.values))
        let copies = Dictionary(grouping: stored, by: \.fingerprint).filter { $0.value.count > 1 }.values.flatMap { $0 }
        for envelope in stored where !copies.contains(where: { $0.key == envelope.key }) {
            #expect(found[envelope.key] == references[envelope.key], "\(envelope.key)")
        }
        // From the position after the write nothing can be one of them.
        #expect(late.isEmpty, "\(late)")
    }
}
