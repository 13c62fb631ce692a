import Engine
import Foundation
import MailCore
import MailFormats
import MailTesting
import Stores
import Testing

/// Everything a store should keep of a message, for comparing two stores.
struct Kept: Hashable {
    var fingerprint: Fingerprint
    var flags: FlagSet
    var internalDate: Date?
}

func contents(of source: any MessageSource) async throws -> [String: [Kept]] {
    var result: [String: [Kept]] = [:]
    for folder in try await source.listFolders() where folder.isSelectable {
        var kept: [Kept] = []
        let stream = try await source.messages(in: folder)
        defer { stream.reader.close() }
        for try await item in stream {
            if case .message(let envelope) = item {
                kept.append(Kept(fingerprint: envelope.fingerprint, flags: envelope.flags, internalDate: envelope.internalDate))
            }
        }
        result[folder.path.displayName] = kept
    }
    return result
}

func copy(_ from: StoreEndpoint, _ to: StoreEndpoint, options: StoreOptions = StoreOptions(), planner: CopyPlanner? = nil)
    async throws -> CopyReport
{
    let planner = planner ?? CopyPlanner(toFolder: to.folder, onlyFolder: from.folder)
    let source = try await StoreFactory.openSource(from, options: options)
    let sink = try await StoreFactory.openSink(to, options: options)
    var copyOptions = CopyOptions()
    copyOptions.planner = planner
    copyOptions.repair = false  // generated mail has NULs and raw 8-bit headers; these tests check bytes are kept
    return await CopyEngine(source: source, sink: sink, options: copyOptions).run()
}

@Suite("Round trips between stores")
struct RoundTripTests {
    @Test("mbox → Maildir → mbox keeps bytes (CRLF-normalised), flags, keywords and dates", arguments: [1, 2, 3])
    func mboxMaildirMbox(seed: Int) async throws {
        let directory = try TemporaryDirectory("roundtrip")
        defer { directory.remove() }
        // The original: generated messages appended to an mbox file.
        var generator = MessageGenerator(seed: UInt64(seed))
        let samples = (0..<120).map { _ in generator.next() }
        let appender = try MboxAppender(path: directory.file("original.mbox"), compressed: false)
        for sample in samples {
            try appender.append(
                MessageData(sample.bytes), flags: sample.flags, internalDate: sample.internalDate, sender: nil,
                defaultDate: sample.internalDate)
        }
        try appender.commit()
        appender.close()

        let first = try await copy(.mbox(path: directory.file("original.mbox")), .maildir(path: directory.file("Maildir")))
        #expect(first.outcome == .complete)
        #expect(first.totals.copied == samples.count)
        let second = try await copy(.maildir(path: directory.file("Maildir")), .mbox(path: directory.file("back.mbox")))
        #expect(second.outcome == .complete)

        let original = try await contents(of: await StoreFactory.openSource(.mbox(path: directory.file("original.mbox"))))
        let maildir = try await contents(of: await StoreFactory.openSource(.maildir(path: directory.file("Maildir"))))
        let back = try await contents(of: await StoreFactory.openSource(.mbox(path: directory.file("back.mbox"))))
        let expected = samples.map { Kept(fingerprint: Fingerprint.of($0.bytes), flags: $0.flags, internalDate: $0.internalDate) }
        #expect(original["INBOX"] == expected)
        #expect(maildir["INBOX"] == expected)
        #expect(back["INBOX"] == expected)
    }

    @Test("Maildir++ → fs layout → Maildir++ keeps the folder tree, including awkward names")
    func layouts() async throws {
        let directory = try TemporaryDirectory("layouts")
        defer { directory.remove() }
        let names = ["INBOX", "Archive", "Archive/2021", "Rechnungen/Überweisungen", "a.b", "..", "~home", "cur", "x/y z&w"]
        var options = StoreOptions()
        options.maildirLayout = .maildirPlusPlus
        let source = try await StoreFactory.openSink(.maildir(path: directory.file("pp")), options: options)
        var generator = MessageGenerator(seed: 5)
        for name in names {
            let path = try #require(FolderPath(parsing: name, delimiter: "/"))
            let writer = try await source.openFolder(path, subscribe: true)
            let sample = generator.next()
            _ = try await writer.store([MessageEnvelope(bytes: sample.bytes, folder: path, key: SourceKey("k"), flags: sample.flags, internalDate: sample.internalDate)])
            try await writer.close()
        }
        // Dovecot's own spelling for a nested non-ASCII name.
        #expect(FileManager.default.fileExists(atPath: directory.file("pp/.Rechnungen.&ANw-berweisungen/cur")))
        #expect(FileManager.default.fileExists(atPath: directory.file("pp/.a\\2eb/maildirfolder")))

        options.maildirLayout = .fs
        _ = try await copy(.maildir(path: directory.file("pp")), .maildir(path: directory.file("fs")), options: options)
        #expect(FileManager.default.fileExists(atPath: directory.file("fs/Rechnungen/&ANw-berweisungen/cur")))
        #expect(FileManager.default.fileExists(atPath: directory.file("fs/\\63ur/cur")))
        #expect(MaildirTree.detectLayout(root: directory.file("fs")) == .fs)
        #expect(MaildirTree.detectLayout(root: directory.file("pp")) == .maildirPlusPlus)

        options.maildirLayout = nil
        _ = try await copy(.maildir(path: directory.file("fs")), .maildir(path: directory.file("pp2")), options: options)
        let original = try await contents(of: await StoreFactory.openSource(.maildir(path: directory.file("pp"))))
        let again = try await contents(of: await StoreFactory.openSource(.maildir(path: directory.file("pp2"))))
        #expect(Set(original.keys) == Set(names.map { FolderPath(parsing: $0, delimiter: "/")!.displayName }))
        #expect(again == original)
    }

    @Test("a whole Maildir into one mbox file goes flat, and the report says so")
    func flatten() async throws {
        let directory = try TemporaryDirectory("flatten")
        defer { directory.remove() }
        let sink = try await StoreFactory.openSink(.maildir(path: directory.file("md")))
        for name in ["INBOX", "Archive", "Sent"] {
            let path = FolderPath(parsing: name, delimiter: "/")!
            let writer = try await sink.openFolder(path, subscribe: true)
            _ = try await writer.store([MessageEnvelope(bytes: Array("Subject: \(name)\n\nx\n".utf8), folder: path, key: SourceKey(name))])
            try await writer.close()
        }
        let report = try await copy(.maildir(path: directory.file("md")), .mbox(path: directory.file("all.mbox")))
        #expect(report.totals.copied == 3)
        #expect(report.notes.contains("the destination holds one folder: 3 source folders were copied into it flat"))
        let back = try await contents(of: await StoreFactory.openSource(.mbox(path: directory.file("all.mbox"))))
        #expect(back["INBOX"]?.count == 3)
    }
}
