import Foundation
import MailCore
import MailFormats
import MailTesting
import Stores
import Testing

/// One message of a source folder as its reader yields it.
struct Listed: Hashable {
    var key: SourceKey
    var fingerprint: Fingerprint
    var internalDate: Date?
    var flags: FlagSet
}

/// Every message of one folder of a source, in the reader's order.
func listing(_ source: any MessageSource, _ folder: FolderInfo) async throws -> [Listed] {
    var listed: [Listed] = []
    let stream = try await source.messages(in: folder)
    defer { stream.reader.close() }
    for try await item in stream {
        if case .message(let envelope) = item {
            listed.append(Listed(key: envelope.key, fingerprint: envelope.fingerprint, internalDate: envelope.internalDate, flags: envelope.flags))
        }
    }
    return listed
}

/// A removal request for these messages, with the fingerprints a checkpoint would pass.
func removal(_ messages: [Listed], olderThan: Date? = nil, allowsPlainExpunge: Bool = false) -> RemovalRequest {
    RemovalRequest(
        keys: Set(messages.map(\.key)), olderThan: olderThan,
        fingerprints: Dictionary(uniqueKeysWithValues: messages.map { ($0.key, $0.fingerprint) }),
        allowsPlainExpunge: allowsPlainExpunge)
}

/// The first folder of a source (INBOX for a Maildir root, the one folder of an mbox file).
func inbox(of source: any MessageSource) async throws -> FolderInfo {
    try #require(try await source.listFolders().first { $0.path.isInbox })
}

// MARK: - Maildir

@Suite("Deleting copied messages from a Maildir")
struct MaildirRemovalTests {
    /// The message files of a Maildir folder: `cur/name` or `new/name` → content.
    func files(in root: String) throws -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        for sub in ["cur", "new"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: "\(root)/\(sub)") {
                result["\(sub)/\(name)"] = Array(try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(sub)/\(name)")))
            }
        }
        return result
    }

    func base(_ relative: String) -> String { MaildirFileName(parsing: (relative as NSString).lastPathComponent).base }

    /// A Maildir with `count` generated messages, opened as a source, and its messages.
    func fixture(_ directory: TemporaryDirectory, count: Int = 8) async throws -> (String, any MessageSource, FolderInfo, [Listed]) {
        let root = directory.file("mail")
        _ = try await makeMaildir(root, folders: [("INBOX", count)], seed: 11)
        let source = try await StoreFactory.openSource(.maildir(path: root))
        let folder = try await inbox(of: source)
        let messages = try await listing(source, folder)
        #expect(messages.count == count)
        return (root, source, folder, messages)
    }

    @Test("exactly the requested files go, one renamed by a flag change included; the rest stay byte for byte")
    func removesRequested() async throws {
        let directory = try TemporaryDirectory("remove-maildir")
        defer { directory.remove() }
        let (root, source, folder, messages) = try await fixture(directory)
        #expect(source.capabilities.removesCopiedMessages)
        // A mail client flags message 2 after the copy: its name changes (and it moves to cur/), its base does not.
        let renamed = try #require(try files(in: root).keys.first { base($0) == messages[2].key.value })
        var flagged = "cur/\(messages[2].key.value):2,F"
        if flagged == renamed { flagged += "S" }
        try FileManager.default.moveItem(atPath: "\(root)/\(renamed)", toPath: "\(root)/\(flagged)")
        let before = try files(in: root)

        let chosen = [messages[0], messages[2], messages[5]]
        var request = removal(chosen)
        request.keys.insert(SourceKey("1700000000.M1P1Q1.nowhere,S=1"))  // not in the folder: not counted
        let result = try await source.removeCopied(request, in: folder)
        #expect(result == RemovalResult(removed: 3, kept: 0))

        let gone = Set(chosen.map(\.key.value))
        #expect(try files(in: root) == before.filter { !gone.contains(base($0.key)) })
        let left = try await listing(source, folder)
        #expect(left.map(\.key) == messages.filter { !gone.contains($0.key.value) }.map(\.key))
        #expect(left.map(\.fingerprint) == messages.filter { !gone.contains($0.key.value) }.map(\.fingerprint))
    }

    @Test("with a cutoff, only files whose modification time is before it go; the newer ones are counted as kept")
    func olderThan() async throws {
        let directory = try TemporaryDirectory("remove-maildir-date")
        defer { directory.remove() }
        let (root, source, folder, messages) = try await fixture(directory, count: 4)
        let cutoff = Date(timeIntervalSince1970: 1_600_000_000)
        for (relative, _) in try files(in: root) {
            let old = [messages[0].key.value, messages[1].key.value].contains(base(relative))
            try FileManager.default.setAttributes(
                [.modificationDate: cutoff.addingTimeInterval(old ? -86_400 : 86_400)], ofItemAtPath: "\(root)/\(relative)")
        }
        let result = try await source.removeCopied(removal([messages[0], messages[2], messages[3]], olderThan: cutoff), in: folder)
        #expect(result == RemovalResult(removed: 1, kept: 2))
        #expect(try await listing(source, folder).map(\.key) == [messages[1].key, messages[2].key, messages[3].key])
    }

    @Test("a file whose content no longer has the recorded fingerprint stays, and the error says what was deleted")
    func changedContent() async throws {
        let directory = try TemporaryDirectory("remove-maildir-changed")
        defer { directory.remove() }
        let (_, source, folder, messages) = try await fixture(directory, count: 4)
        var request = removal([messages[0], messages[1]])
        request.fingerprints[messages[1].key] = messages[3].fingerprint
        await #expect {
            _ = try await source.removeCopied(request, in: folder)
        } throws: { error in
            guard let error = error as? MailError else { return false }
            return error.scope == .folder && error.folder == folder.path && error.code == .verificationFailed
                && error.summary.hasPrefix("1 copied message(s) were deleted") && error.summary.contains(messages[1].key.value)
        }
        #expect(try await listing(source, folder).map(\.key) == [messages[1].key, messages[2].key, messages[3].key])
    }
}

// MARK: - mbox

@Suite("Deleting copied messages from an mbox file")
struct MboxRemovalTests {
    /// Appends `count` generated messages to a new mbox file, as mutt or MailFerry would.
    func writeMbox(_ path: String, count: Int, seed: UInt64, compressed: Bool = false) throws {
        var generator = MessageGenerator(seed: seed)
        let appender = try MboxAppender(path: path, compressed: compressed)
        for _ in 0..<count {
            let sample = generator.next()
            try appender.append(
                MessageData(sample.bytes), flags: sample.flags, internalDate: sample.internalDate, sender: nil,
                defaultDate: sample.internalDate)
        }
        try appender.commit()
        appender.close()
    }

    func offset(_ message: Listed) -> Int { Int(message.key.ordinal!) }

    @Test("two of five go; the file is the original minus exactly their spans; a key with another fingerprint stays")
    func removesRequested() async throws {
        let directory = try TemporaryDirectory("remove-mbox")
        defer { directory.remove() }
        let path = directory.file("in.mbox")
        try writeMbox(path, count: 5, seed: 21)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        let original = try directory.read("in.mbox")
        let source = try await StoreFactory.openSource(.mbox(path: path))
        #expect(source.capabilities.removesCopiedMessages)
        let folder = try await inbox(of: source)
        let messages = try await listing(source, folder)
        #expect(messages.count == 5)

        var request = removal([messages[1], messages[3], messages[4]])
        request.fingerprints[messages[4].key] = messages[0].fingerprint  // another message than the one copied
        let result = try await source.removeCopied(request, in: folder)
        #expect(result == RemovalResult(removed: 2, kept: 0))

        let expected = Array(original[0..<offset(messages[1])]) + original[offset(messages[2])..<offset(messages[3])]
            + original[offset(messages[4])...]
        #expect(try directory.read("in.mbox") == expected)
        #expect(try await listing(source, folder).map(\.fingerprint) == [0, 2, 4].map { messages[$0].fingerprint })
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o640)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["in.mbox"], "no lock or temporary file left")
    }

    @Test("bytes stay exact: leading blank lines, CRLF, quoted From lines, a last message without a final newline")
    func exactBytes() async throws {
        let directory = try TemporaryDirectory("remove-mbox-bytes")
        defer { directory.remove() }
        let first = "From a@b Mon Mar  4 09:15:02 2024\r\nSubject: one\r\n\r\n>From the start\r\n\r\n"
        let second = "From c@d Tue Mar  5 10:00:00 2024\r\nSubject: two\r\nStatus: RO\r\n\r\nbody\r\n>>From here\r\n\r\n"
        let third = "From e@f Wed Mar  6 11:00:00 2024\r\nSubject: three\r\n\r\nno final newline"
        try directory.write("crlf.mbox", "\r\n" + first + second + third)
        let source = try await StoreFactory.openSource(.mbox(path: directory.file("crlf.mbox")))
        let folder = try await inbox(of: source)
        let messages = try await listing(source, folder)
        #expect(messages.count == 3)

        #expect(try await source.removeCopied(removal([messages[1]]), in: folder) == RemovalResult(removed: 1, kept: 0))
        #expect(try directory.read("crlf.mbox") == Array(("\r\n" + first + third).utf8))
        let left = try await listing(source, folder)
        #expect(try await source.removeCopied(removal([left[1]]), in: folder) == RemovalResult(removed: 1, kept: 0))
        #expect(try directory.read("crlf.mbox") == Array(("\r\n" + first).utf8))
        #expect(try await listing(source, folder).map(\.fingerprint) == [messages[0].fingerprint])
    }

    @Test("with a cutoff, only messages whose From-line date is before it go")
    func olderThan() async throws {
        let directory = try TemporaryDirectory("remove-mbox-date")
        defer { directory.remove() }
        try writeMbox(directory.file("in.mbox"), count: 6, seed: 22)
        let source = try await StoreFactory.openSource(.mbox(path: directory.file("in.mbox")))
        let folder = try await inbox(of: source)
        let messages = try await listing(source, folder)
        let dates = messages.compactMap(\.internalDate).sorted()
        #expect(dates.count == 6)
        let cutoff = dates[3]
        let older = messages.filter { $0.internalDate! < cutoff }
        let result = try await source.removeCopied(removal(messages, olderThan: cutoff), in: folder)
        #expect(result == RemovalResult(removed: older.count, kept: 6 - older.count))
        #expect(try await listing(source, folder).map(\.fingerprint) == messages.filter { $0.internalDate! >= cutoff }.map(\.fingerprint))
    }

    @Test("a requested message without a recorded fingerprint stays (an offset alone does not pin it)")
    func noFingerprint() async throws {
        let directory = try TemporaryDirectory("remove-mbox-nofp")
        defer { directory.remove() }
        try writeMbox(directory.file("in.mbox"), count: 3, seed: 23)
        let original = try directory.read("in.mbox")
        let source = try await StoreFactory.openSource(.mbox(path: directory.file("in.mbox")))
        let folder = try await inbox(of: source)
        let messages = try await listing(source, folder)
        await #expect {
            _ = try await source.removeCopied(RemovalRequest(keys: [messages[1].key]), in: folder)
        } throws: { error in
            guard let error = error as? MailError else { return false }
            return error.scope == .folder && error.code == .verificationFailed
                && error.summary.hasPrefix("0 copied message(s) were deleted") && error.summary.contains("fingerprint")
        }
        #expect(try directory.read("in.mbox") == original)
    }

    @Test("the mbox lock is respected: while another program holds it, nothing is deleted")
    func locked() async throws {
        let directory = try TemporaryDirectory("remove-mbox-lock")
        defer { directory.remove() }
        let path = directory.file("in.mbox")
        try writeMbox(path, count: 3, seed: 24)
        let original = try directory.read("in.mbox")
        var options = StoreOptions()
        options.lockTimeout = 0.3
        let source = try await StoreFactory.openSource(.mbox(path: path), options: options)
        let folder = try await inbox(of: source)
        let messages = try await listing(source, folder)
        let lock = try DotLock(path: path + ".lock", scope: .folder)
        await #expect {
            _ = try await source.removeCopied(removal(messages), in: folder)
        } throws: { error in
            guard let error = error as? MailError else { return false }
            return error.code == .locked && error.scope == .folder && error.summary.hasPrefix("nothing was deleted")
        }
        lock.release()
        #expect(try directory.read("in.mbox") == original)
    }

    @Test("a gzip-compressed mbox is refused, untouched")
    func compressed() async throws {
        let directory = try TemporaryDirectory("remove-mbox-gz")
        defer { directory.remove() }
        let path = directory.file("in.mbox.gz")
        try writeMbox(path, count: 3, seed: 25, compressed: true)
        let original = try directory.read("in.mbox.gz")
        let source = try await StoreFactory.openSource(.mbox(path: path))
        #expect(!source.capabilities.removesCopiedMessages)
        let folder = try await inbox(of: source)
        let messages = try await listing(source, folder)
        #expect(messages.count == 3)
        await #expect {
            _ = try await source.removeCopied(removal(messages), in: folder)
        } throws: { error in
            guard let error = error as? MailError else { return false }
            return error.code == .unsupported && error.scope == .folder && error.summary.contains("gzip")
        }
        #expect(try directory.read("in.mbox.gz") == original)
    }
}

// MARK: - IMAP

@Suite("Deleting copied messages from IMAP (test Dovecot)", .enabled(if: TestServer.isAvailable, TestServer.skipReason), .serialized)
struct IMAPRemovalTests {
    let server = TestServer.current!
    let user = "rmsrc"

    /// Empties the user's mailbox and stores `count` generated messages in INBOX; those in
    /// `deleted` arrive already marked `\Deleted` (as by another mail client).
    func upload(count: Int, deleted: Set<Int> = [], seed: UInt64) async throws {
        try server.reset(user: user)
        let sink = try await StoreFactory.openSink(try imap(server, user), options: serverOptions(server))
        let writer = try await sink.openFolder(.inbox, subscribe: true)
        var generator = MessageGenerator(seed: seed)
        let envelopes = (0..<count).map { index in
            let sample = generator.next()
            return MessageEnvelope(
                bytes: sample.bytes.filter { $0 != 0 }, folder: .inbox, key: SourceKey("\(index)"),
                flags: deleted.contains(index) ? FlagSet([.deleted]) : FlagSet([.seen]), internalDate: sample.internalDate)
        }
        _ = try await writer.store(envelopes)
        try await writer.close()
        try await sink.close()
    }

    func open() async throws -> (any MessageSource, FolderInfo, [Listed]) {
        let source = try await StoreFactory.openSource(try imap(server, user), options: serverOptions(server))
        let folder = try await inbox(of: source)
        return (source, folder, try await listing(source, folder))
    }

    @Test("exactly the requested UIDs go; a message someone else marked \\Deleted stays; no other flag changes")
    func removesRequested() async throws {
        try await upload(count: 10, deleted: [9], seed: 41)
        let (source, folder, messages) = try await open()
        #expect(source.capabilities.removesCopiedMessages)
        #expect(messages.count == 10)
        #expect(messages[9].flags.contains(.deleted))
        let validity = messages[0].key.value.split(separator: ":")[0]

        var request = removal([messages[0], messages[2], messages[4], messages[6]])
        request.keys.insert(SourceKey("\(validity):99999"))  // no such UID: not counted
        let result = try await source.removeCopied(request, in: folder)
        #expect(result == RemovalResult(removed: 4, kept: 0))

        let left = try await listing(source, folder)
        let expected = [1, 3, 5, 7, 8, 9].map { messages[$0] }
        #expect(left == expected, "the same keys, contents and flags")
        await source.close()
    }

    @Test("a key of another UIDVALIDITY is not deleted, and the error says the folder was replaced")
    func otherValidity() async throws {
        try await upload(count: 4, seed: 42)
        let (source, folder, messages) = try await open()
        let parts = messages[1].key.value.split(separator: ":")
        let stale = SourceKey("\(UInt32(parts[0])! &+ 1):\(parts[1])")
        var request = removal([messages[0]])
        request.keys.insert(stale)
        request.fingerprints[stale] = messages[1].fingerprint
        await #expect {
            _ = try await source.removeCopied(request, in: folder)
        } throws: { error in
            guard let error = error as? MailError else { return false }
            return error.scope == .folder && error.folder == folder.path && error.summary.hasPrefix("1 copied message(s) were deleted")
                && error.summary.contains("UIDVALIDITY")
        }
        #expect(try await listing(source, folder) == Array(messages[1...]))
        await source.close()
    }

    @Test("with a cutoff, only messages whose INTERNALDATE is before it go")
    func olderThan() async throws {
        try await upload(count: 6, seed: 43)
        let (source, folder, messages) = try await open()
        let dates = messages.compactMap(\.internalDate).sorted()
        #expect(dates.count == 6)
        let cutoff = dates[3]
        let result = try await source.removeCopied(removal(messages, olderThan: cutoff), in: folder)
        let older = messages.filter { $0.internalDate! < cutoff }
        #expect(result == RemovalResult(removed: older.count, kept: 6 - older.count))
        #expect(try await listing(source, folder) == messages.filter { $0.internalDate! >= cutoff })
        await source.close()
    }
}

@Suite("Deleting copied messages from an IMAP server without UIDPLUS (scripted server)")
struct IMAPPlainExpungeTests {
    @Test("refused unless plain expunging is allowed; then UID STORE and CLOSE, never EXPUNGE of the whole folder by surprise")
    func plainExpunge() async throws {
        let server = try ScriptedServer(script: [
            .send("* OK [CAPABILITY IMAP4rev1] ready\r\n"),
            .respond(to: "LOGIN", reply: { "\($0) OK [CAPABILITY IMAP4rev1] logged in\r\n" }),
            .respond(to: "LIST", reply: { "* LIST (\\Noselect) \"/\" \"\"\r\n\($0) OK listed\r\n" }),
            .respond(to: "SELECT", reply: { "* 3 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n\($0) OK [READ-WRITE] selected\r\n" }),
            .respond(to: "UID FETCH", reply: {
                "* 1 FETCH (UID 1 FLAGS () INTERNALDATE \"01-Jan-2020 00:00:00 +0000\")\r\n"
                    + "* 2 FETCH (UID 2 FLAGS (\\Seen) INTERNALDATE \"02-Jan-2020 00:00:00 +0000\")\r\n\($0) OK fetched\r\n"
            }),
            .respond(to: "UID STORE", reply: { "\($0) OK stored\r\n" }),
            .respond(to: "CLOSE", reply: { "\($0) OK closed\r\n" }),
            .respond(to: "EXAMINE", reply: { "* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n\($0) OK [READ-ONLY] examined\r\n" }),
            .respond(to: "UID SEARCH", reply: { "* SEARCH\r\n\($0) OK searched\r\n" }),
            .respond(to: "LOGOUT", reply: { "* BYE bye\r\n\($0) OK logged out\r\n" }),
            .waitForClose,
        ])
        var options = StoreOptions()
        options.source.password = .command("echo pw")
        options.source.allowPlaintext = true
        options.source.connections = 1
        let source = try await StoreFactory.openSource(try StoreEndpoint(parsing: "imap://me@127.0.0.1:\(server.port)"), options: options)
        let folder = FolderInfo(path: .inbox)
        let keys: Set<SourceKey> = [SourceKey("7:1"), SourceKey("7:2"), SourceKey("7:3")]

        await #expect {
            _ = try await source.removeCopied(RemovalRequest(keys: keys), in: folder)
        } throws: { error in
            guard let error = error as? MailError else { return false }
            return error.code == .unsupported && error.scope == .folder && error.summary.hasPrefix("nothing was deleted")
                && error.summary.contains("UIDPLUS")
        }
        #expect(!server.received.contains { $0.contains("SELECT") }, "refused before touching the folder")

        let result = try await source.removeCopied(RemovalRequest(keys: keys, allowsPlainExpunge: true), in: folder)
        #expect(result == RemovalResult(removed: 2, kept: 0))
        await source.close()
        await server.wait()
        let sent = server.received
        #expect(sent.contains { $0.hasSuffix("UID FETCH 1:3 (UID FLAGS INTERNALDATE)") })
        #expect(sent.contains { $0.hasSuffix("UID STORE 1:2 +FLAGS.SILENT (\\Deleted)") })
        #expect(sent.contains { $0.hasSuffix(" CLOSE") })
        #expect(!sent.contains { $0.contains("EXPUNGE") })
    }
}
