import Engine
import Foundation
import MailArchive
import MailCore
import MailTesting
@testable import MailFerryCLI
import Stores
import Testing

/// Helpers shared by the archive tests.
enum ArchiveTesting {
    static let folders = [("INBOX", 8), ("Archive/2019", 6), ("Entwürfe", 4)]

    /// Every message of a store, by fingerprint: raw bytes, flags, date and folder.
    static func contents(_ store: any MessageSource) async throws -> [Fingerprint: (bytes: [UInt8], flags: FlagSet, date: Date?, folder: FolderPath)] {
        var result: [Fingerprint: (bytes: [UInt8], flags: FlagSet, date: Date?, folder: FolderPath)] = [:]
        for folder in try await store.listFolders() where folder.isSelectable {
            let stream = try await store.messages(in: folder)
            for try await item in stream {
                guard case .message(let envelope) = item else { continue }
                #expect(result[envelope.fingerprint] == nil, "twice: \(envelope.key)")
                result[envelope.fingerprint] = (
                    try envelope.data.loadAll(), envelope.flags,
                    envelope.internalDate.map { Date(timeIntervalSince1970: $0.timeIntervalSince1970.rounded(.down)) },
                    envelope.folder
                )
            }
            stream.reader.close()
        }
        await store.close()
        return result
    }

    /// Both stores hold the same messages with identical bytes, flags, keywords, dates and folders.
    static func expectIdentical(_ a: any MessageSource, _ b: any MessageSource, count: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let left = try await contents(a)
        let right = try await contents(b)
        #expect(left.count == count, sourceLocation: sourceLocation)
        #expect(Set(left.keys) == Set(right.keys), sourceLocation: sourceLocation)
        for (print, message) in left {
            guard let other = right[print] else { continue }
            #expect(message.bytes == other.bytes, "bytes of \(print)", sourceLocation: sourceLocation)
            #expect(message.flags == other.flags, "flags of \(print)", sourceLocation: sourceLocation)
            #expect(message.date == other.date, "date of \(print)", sourceLocation: sourceLocation)
            #expect(message.folder == other.folder, "folder of \(print)", sourceLocation: sourceLocation)
        }
    }

    /// Stores read messages into a new Maildir's INBOX: `Message-ID: <ID@example.org>`, arrived `age` seconds ago.
    @discardableResult
    static func storeMessages(into maildir: String, _ messages: [(id: String, age: TimeInterval)], now: Date = Date()) async throws
        -> [MessageEnvelope]
    {
        let envelopes = messages.map { id, age in
            MessageEnvelope(
                bytes: Array("Message-ID: <\(id)@example.org>\nSubject: \(id)\n\nThe body of \(id).\n".utf8), folder: .inbox,
                key: SourceKey(id), flags: FlagSet(system: [.seen]), internalDate: now.addingTimeInterval(-age))
        }
        let writer = try await MaildirStore(openingSink: maildir, options: StoreOptions()).openFolder(.inbox, subscribe: true)
        _ = try await writer.store(envelopes)
        try await writer.close()
        return envelopes
    }

    /// Whether the file starts as `format` does (a tar has `ustar` at byte 257).
    static func hasSignature(of format: ArchiveFormat, _ path: String) throws -> Bool {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)).prefix(512))
        switch format {
        case .tarZstd: return bytes.starts(with: [0x28, 0xB5, 0x2F, 0xFD])
        case .tarGzip: return bytes.starts(with: [0x1F, 0x8B])
        case .tarXz: return bytes.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00])
        case .tarBzip2: return bytes.starts(with: Array("BZh".utf8))
        case .tar: return bytes.count >= 262 && Array(bytes[257..<262]) == Array("ustar".utf8)
        case .zip: return bytes.starts(with: Array("PK".utf8))
        }
    }

    static func volumes(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
            .map { "\(directory)/\($0)" }
    }
}

@Suite("Archives from the command line", .serialized)
struct ArchiveCLITests {
    @Test("--before takes a day (midnight UTC) or an ISO 8601 time, and refuses impossible dates", arguments: [
        ("2024-01-01", 1_704_067_200.0), ("2024-01-01T12:00:00+02:00", 1_704_103_200.0), ("2024-02-29T00:00:00Z", 1_709_164_800.0),
        ("2023-02-29", nil), ("2023-02-30T00:00:00Z", nil), ("2024-01-01T00:00:00Z tomorrow", nil), ("01/02/2024", nil),
    ] as [(String, Double?)])
    func cutoffDates(text: String, seconds: Double?) {
        #expect(ArchiveSchedule.date(text)?.timeIntervalSince1970 == seconds)
    }

    @Test("Maildir → archive → Maildir: bytes, flags, keywords, dates and folders identical", arguments: ArchiveFormat.allCases)
    func maildirRoundTrip(format: ArchiveFormat) async throws {
        let directory = try TemporaryDirectory("archive-roundtrip")
        defer { directory.remove() }
        let source = directory.file("Maildir")
        try await storeGeneratedMessages(
            into: try MaildirStore(openingSink: source, options: StoreOptions()), folders: ArchiveTesting.folders, seed: 61)
        let archive = directory.file("mail.\(format.fileExtension)")
        let copied = try await BuiltProducts.run(["copy", "maildir:\(source)", "archive:\(archive)", "--no-checkpoint", "--quiet"])
        #expect(copied.status == 0, "\(copied.stdout)\(copied.stderr)")
        #expect(copied.stdout.contains("read back and verified"))
        let verified = try await BuiltProducts.run(["verify", "archive:\(archive)"])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.contains("Intact: all 18 message(s)"))
        let restored = directory.file("Restored")
        let back = try await BuiltProducts.run(["copy", "archive:\(archive)", "maildir:\(restored)", "--no-checkpoint", "--quiet"])
        #expect(back.status == 0, "\(back.stdout)\(back.stderr)")
        try await ArchiveTesting.expectIdentical(
            try MaildirStore(openingSource: source, options: StoreOptions()),
            try MaildirStore(openingSource: restored, options: StoreOptions()), count: 18)
        // Any tar or unzip can open it: a Maildir tree and the manifest.
        let entries = try ArchiveVerifier.verify(path: archive).entries
        #expect(entries.contains { $0.member.hasPrefix("Maildir/.Archive.2019/cur/") })
        #expect(entries.contains { $0.folder == ["Entwürfe"] })
    }

    @Test("a second archive run writes a new volume with only what became old enough; none twice")
    func periodicRuns() async throws {
        let directory = try TemporaryDirectory("archive-periodic")
        defer { directory.remove() }
        let source = directory.file("Maildir")
        let stored = try await storeGeneratedMessages(
            into: try MaildirStore(openingSink: source, options: StoreOptions()), folders: [("INBOX", 30), ("Lists", 20)], seed: 62)
        let all = stored.values.flatMap { $0 }
        let target = directory.file("archive")
        let checkpoint = directory.file("job.sqlite")
        func archive(before: String) async throws -> (Int32, String) {
            let run = try await BuiltProducts.run([
                "archive", "maildir:\(source)", "--before", before, "--to", target, "--checkpoint", checkpoint,
                "--name", "mail-{cutoff}.tar.zst", "--json", "--quiet",
            ])
            return (run.status, run.stdout + run.stderr)
        }
        func expected(before: Date, after: Date?) -> Int {
            all.filter { message in
                let date = message.internalDate!
                return date < before && (after.map { date >= $0 } ?? true) && message.flags.system.contains(.seen)
                    && !message.flags.system.contains(.flagged)
            }.count
        }
        let first = try await archive(before: "2022-01-01")
        #expect(first.0 == 0, "\(first.1)")
        let cut1 = ArchiveSchedule.date("2022-01-01")!
        let cut2 = ArchiveSchedule.date("2023-07-01")!
        #expect(ArchiveTesting.volumes(in: target) == ["\(target)/mail-2022-01-01.tar.zst"])
        let volume1 = try ArchiveVerifier.verify(path: "\(target)/mail-2022-01-01.tar.zst")
        #expect(volume1.isIntact)
        #expect(volume1.messages == expected(before: cut1, after: nil))
        #expect(volume1.messages > 0)

        let second = try await archive(before: "2023-07-01")
        #expect(second.0 == 0, "\(second.1)")
        let volume2 = try ArchiveVerifier.verify(path: "\(target)/mail-2023-07-01.tar.zst")
        #expect(volume2.messages == expected(before: cut2, after: cut1))
        #expect(Set(volume1.entries.map(\.fingerprint)).isDisjoint(with: volume2.entries.map(\.fingerprint)))
        #expect(volume2.entries.allSatisfy { $0.internalDate! >= cut1 && $0.internalDate! < cut2 })
        // Unread and flagged mail stayed out of both.
        #expect((volume1.entries + volume2.entries).allSatisfy { $0.flags.contains("\\Seen") && !$0.flags.contains("\\Flagged") })

        let third = try await archive(before: "2023-07-01")
        #expect(third.0 == 0, "\(third.1)")
        #expect(third.1.contains("nothing to archive"))
        #expect(ArchiveTesting.volumes(in: target).count == 2)
        // The source was not touched.
        #expect(try await ArchiveTesting.contents(try MaildirStore(openingSource: source, options: StoreOptions())).count == 50)
    }

    @Test("an interrupted archive run leaves no file under the final name; the rerun archives everything once")
    func interruptedWrite() async throws {
        let directory = try TemporaryDirectory("archive-interrupted")
        defer { directory.remove() }
        let source = directory.file("Maildir")
        try await storeGeneratedMessages(
            into: try MaildirStore(openingSink: source, options: StoreOptions()), folders: [("INBOX", 20)], seed: 63)
        let target = directory.file("archive")
        let arguments = [
            "archive", "maildir:\(source)", "--before", "2030-01-01", "--to", target, "--checkpoint", directory.file("job.sqlite"),
            "--include-unread", "--include-flagged", "--batch-messages", "5", "--quiet",
        ]
        // Step 5: after the second batch was stored in the (unfinished) volume.
        let crashed = try await BuiltProducts.run(
            arguments, environment: ["MAILFERRY_FAULT_INJECTION": "1", "MAILFERRY_CRASH_AT": "5"])
        #expect(crashed.status == SIGKILL, "\(crashed.stderr)")
        #expect(ArchiveTesting.volumes(in: target).isEmpty)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: target)
        #expect(leftovers.contains { $0.hasSuffix(".mailferry-partial") })

        let resumed = try await BuiltProducts.run(arguments)
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stdout.contains("unfinished volume"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: target).filter { $0.contains(".mailferry-partial") }.isEmpty)
        let volumes = ArchiveTesting.volumes(in: target)
        #expect(volumes.count == 1)
        let check = try ArchiveVerifier.verify(path: try #require(volumes.first))
        #expect(check.isIntact && check.messages == 20)
    }

    @Test(
        "archive --delete-from-source, killed at every step: each message is in the source or in exactly one verified volume",
        arguments: ["maildir", "mbox"])
    func deleteFromSourceCrashAtEveryStep(kind: String) async throws {
        let directory = try TemporaryDirectory("archive-delete-crash")
        defer { directory.remove() }
        // An mbox directory: two files whose keys (offsets) repeat across folders.
        let source = kind == "maildir" ? directory.file("Maildir") : directory.file("mail/")
        let target = directory.file("archive")
        let checkpoint = directory.file("job.sqlite")
        var originals: Set<Fingerprint> = []
        var old: Set<Fingerprint> = []
        let cutoff = ArchiveSchedule.date("2023-01-01")!
        func reset() async throws {
            for path in [source, target, checkpoint, checkpoint + ".job", checkpoint + "-wal", checkpoint + "-shm"] {
                try? FileManager.default.removeItem(atPath: path)
            }
            let sink: any MessageSink = kind == "maildir"
                ? try MaildirStore(openingSink: source, options: StoreOptions())
                : try MboxStore(openingSink: source, options: StoreOptions())
            let stored = try await storeGeneratedMessages(into: sink, folders: [("INBOX", 8), ("Work", 5)], seed: 64)
            originals = Set(stored.values.flatMap { $0 }.map(\.fingerprint))
            old = Set(stored.values.flatMap { $0 }.filter { $0.internalDate! < cutoff }.map(\.fingerprint))
        }
        let arguments = [
            "archive", "\(kind):\(source)", "--before", "2023-01-01", "--to", target, "--checkpoint", checkpoint,
            "--include-unread", "--include-flagged", "--delete-from-source", "--batch-messages", "4", "--quiet",
        ]
        func check(step: Int) async throws {
            let store: any MessageSource = kind == "maildir"
                ? try MaildirStore(openingSource: source, options: StoreOptions())
                : try MboxStore(openingSource: source, options: StoreOptions())
            let remaining = try await ArchiveTesting.contents(store)
            var archived: [Fingerprint] = []
            for volume in ArchiveTesting.volumes(in: target) {
                let result = try ArchiveVerifier.verify(path: volume)
                #expect(result.isIntact, "step \(step): \(volume)")
                archived += result.entries.compactMap { Fingerprint(hex: $0.fingerprint) }
            }
            #expect(archived.count == Set(archived).count, "step \(step): a message was archived twice")
            #expect(Set(archived) == old, "step \(step): archived \(archived.count) of \(old.count) old messages")
            #expect(Set(remaining.keys) == originals.subtracting(old), "step \(step): the source holds \(remaining.count)")
        }
        var finished = false
        for step in 1...80 {
            try await reset()
            let crashed = try await BuiltProducts.run(
                arguments, environment: ["MAILFERRY_FAULT_INJECTION": "1", "MAILFERRY_CRASH_AT": String(step)])
            if crashed.status == 0 {
                try await check(step: step)
                finished = true
                #expect(step >= 8)  // a batch (3 steps), two folders, the close and the commit
                break
            }
            #expect(crashed.status == SIGKILL, "step \(step): \(crashed.stderr)")
            // Whatever the kill left: nothing lost (the source still has what no volume holds).
            let resumed = try await BuiltProducts.run(arguments)
            #expect(resumed.status == 0, "step \(step): \(resumed.stdout)\(resumed.stderr)")
            try await check(step: step)
        }
        #expect(finished)
    }

    @Test("archive from an mbox file with --delete-from-source: the file is rewritten without exactly the archived mail")
    func mboxDeleteFromSource() async throws {
        let directory = try TemporaryDirectory("archive-mbox-delete")
        defer { directory.remove() }
        let mbox = directory.file("old.mbox")
        let stored = try await storeGeneratedMessages(
            into: try MboxStore(openingSink: mbox, options: StoreOptions()), folders: [("INBOX", 16)], seed: 66)
        let all = stored.values.flatMap { $0 }
        let cutoff = ArchiveSchedule.date("2022-06-01")!
        let old = Set(all.filter { $0.internalDate! < cutoff }.map(\.fingerprint))
        #expect(!old.isEmpty && old.count < all.count)
        let run = try await BuiltProducts.run([
            "archive", "mbox:\(mbox)", "--before", "2022-06-01", "--to", directory.file("volumes"), "--include-unread",
            "--include-flagged", "--delete-from-source", "--checkpoint", directory.file("job.sqlite"), "--quiet",
        ])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let volumes = ArchiveTesting.volumes(in: directory.file("volumes"))
        let check = try ArchiveVerifier.verify(path: try #require(volumes.first))
        #expect(check.isIntact)
        #expect(Set(check.entries.compactMap { Fingerprint(hex: $0.fingerprint) }) == old)
        let remaining = try await ArchiveTesting.contents(try MboxStore(openingSource: mbox, options: StoreOptions()))
        #expect(Set(remaining.keys) == Set(all.map(\.fingerprint)).subtracting(old))
        // A second run finds nothing to archive and deletes nothing more.
        let again = try await BuiltProducts.run([
            "archive", "mbox:\(mbox)", "--before", "2022-06-01", "--to", directory.file("volumes"), "--include-unread",
            "--include-flagged", "--delete-from-source", "--checkpoint", directory.file("job.sqlite"), "--quiet",
        ])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(ArchiveTesting.volumes(in: directory.file("volumes")).count == 1)
        #expect(try await ArchiveTesting.contents(try MboxStore(openingSource: mbox, options: StoreOptions())).count == remaining.count)
    }

    @Test("hostile archives are refused with an error naming the member; nothing is written")
    func hostileArchives() async throws {
        let directory = try TemporaryDirectory("archive-hostile")
        defer { directory.remove() }
        let path = directory.file("slip.tar.gz")
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let writer = try ArchiveWriter(fd: fd, path: path, format: .tarGzip)
        try writer.add(name: "Maildir/cur/1:2,S", modified: nil, bytes: Array("Subject: a\n\nok\n".utf8))
        try writer.add(name: "../../home/me/.bashrc", modified: nil, bytes: Array("evil\n".utf8))
        try writer.finish()
        close(fd)
        let run = try await BuiltProducts.run(["copy", "archive:\(path)", "maildir:\(directory.file("out"))", "--no-checkpoint", "--quiet"])
        #expect(run.status == 3)
        // The archive is refused when it is opened, before the destination exists.
        #expect(run.stderr.contains("archive member \"../../home/me/.bashrc\" contains \"..\": refusing"), "\(run.stderr)")
        let written = (try? FileManager.default.contentsOfDirectory(atPath: directory.file("out/cur"))) ?? []
        #expect(written.isEmpty)
        let verify = try await BuiltProducts.run(["verify", "archive:\(path)"])
        #expect(verify.status == 3)
    }

    @Test("foreign archives: a tar of a Maildir tree, a zip of .eml files, a tar.gz of mbox files")
    func foreignArchives() async throws {
        let directory = try TemporaryDirectory("archive-foreign")
        defer { directory.remove() }
        // A Maildir tree made by MailFerry, packed by GNU tar.
        let maildir = directory.file("home/Maildir")
        try await storeGeneratedMessages(
            into: try MaildirStore(openingSink: maildir, options: StoreOptions()), folders: [("INBOX", 3), ("Sent", 2)], seed: 65)
        #expect(try runTool("/usr/bin/tar", ["-C", directory.file("home"), "-czf", directory.file("maildir.tgz"), "Maildir"]) == 0)
        let one = try await BuiltProducts.run(["copy", "archive:\(directory.file("maildir.tgz"))", "maildir:\(directory.file("a"))", "--no-checkpoint", "--quiet"])
        #expect(one.status == 0, "\(one.stdout)\(one.stderr)")
        try await ArchiveTesting.expectIdentical(
            try MaildirStore(openingSource: maildir, options: StoreOptions()),
            try MaildirStore(openingSource: directory.file("a"), options: StoreOptions()), count: 5)

        // .eml files in folders, zipped.
        let zip = directory.file("eml.zip")
        let fd = open(zip, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let writer = try ArchiveWriter(fd: fd, path: zip, format: .zip)
        for (index, name) in ["export/Work/1.eml", "export/Work/2.eml", "export/Private/3.eml"].enumerated() {
            try writer.add(name: name, modified: Date(timeIntervalSince1970: 1_600_000_000), bytes: Array("Message-ID: <e\(index)@x>\nSubject: \(index)\n\nbody\n".utf8))
        }
        try writer.add(name: "export/README.txt", modified: nil, bytes: Array("not mail\n".utf8))
        try writer.finish()
        close(fd)
        let two = try await BuiltProducts.run(["copy", "archive:\(zip)", "maildir:\(directory.file("b"))", "--no-checkpoint", "--quiet"])
        #expect(two.status == 0, "\(two.stdout)\(two.stderr)")
        #expect(two.stdout.contains("README.txt"))
        let b = try await MaildirStore(openingSource: directory.file("b"), options: StoreOptions()).listFolders()
        let counts = Dictionary(uniqueKeysWithValues: b.filter { $0.messageCount != 0 }.map { ($0.path.displayName, $0.messageCount ?? 0) })
        #expect(counts == ["export/Work": 2, "export/Private": 1])

        // mbox files, tar.gz.
        try FileManager.default.createDirectory(atPath: directory.file("mboxes"), withIntermediateDirectories: true)
        try directory.write("mboxes/Lists.mbox", "From a@b Sat Jan  3 01:05:34 2015\nSubject: one\n\nx\n\nFrom c@d Sat Jan  3 02:05:34 2015\nSubject: two\n\n>From quoted\n")
        #expect(try runTool("/usr/bin/tar", ["-C", directory.file("mboxes"), "-czf", directory.file("mbox.tar.gz"), "Lists.mbox"]) == 0)
        let three = try await BuiltProducts.run(["copy", "archive:\(directory.file("mbox.tar.gz"))", "maildir:\(directory.file("c"))", "--no-checkpoint", "--quiet"])
        #expect(three.status == 0, "\(three.stdout)\(three.stderr)")
        let c = try await MaildirStore(openingSource: directory.file("c"), options: StoreOptions()).listFolders()
        #expect(c.filter { $0.messageCount != 0 }.map(\.path.displayName) == ["Lists"])
        #expect(c.first { $0.path.displayName == "Lists" }?.messageCount == 2)
    }

    @Test("a second archive run into the same directory is refused while the first holds it")
    func directoryLock() async throws {
        let directory = try TemporaryDirectory("archive-lock")
        defer { directory.remove() }
        let source = directory.file("Maildir")
        try await storeGeneratedMessages(
            into: try MaildirStore(openingSink: source, options: StoreOptions()), folders: [("INBOX", 3)], seed: 67)
        let target = directory.file("archive")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let held = ArchiveSchedule.lockDirectory(target)
        #expect(held >= 0)
        let refused = try await BuiltProducts.run([
            "archive", "maildir:\(source)", "--before", "2030-01-01", "--to", target, "--checkpoint", directory.file("job.sqlite"),
            "--quiet",
        ])
        #expect(refused.status == 4)
        #expect(refused.stderr.contains("another mailferry archive run"), "\(refused.stderr)")
        close(held)
        let run = try await BuiltProducts.run([
            "archive", "maildir:\(source)", "--before", "2030-01-01", "--to", target, "--checkpoint", directory.file("job.sqlite"),
            "--include-unread", "--include-flagged", "--quiet",
        ])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(ArchiveTesting.volumes(in: target).count == 1)
    }

    @Test(
        "ages and cutoffs: a month or a year back from the 31st or 29 February lands on the month's last day",
        arguments: [
            ("2024-03-31", "1m", "2024-02-29"), ("2024-02-29", "1y", "2023-02-28"), ("2024-01-15", "2m", "2023-11-15"),
            ("2024-01-15", "14d", "2024-01-01"), ("2024-01-15", "2w", "2024-01-01"), ("2024-01-15", "30", "2023-12-16"),
            ("2024-05-31", "15m", "2023-02-28"),
        ])
    func cutoffs(from: String, age: String, expected: String) throws {
        let start = try #require(ArchiveSchedule.date(from))
        let parsed = try #require(ArchiveSchedule.age(age))
        #expect(CivilDate.dayText(ArchiveSchedule.subtract(parsed, from: start)) == expected)
    }

    @Test("copy with filters takes exactly the messages of the date window, size and flags asked for")
    func copyFilters() async throws {
        let directory = try TemporaryDirectory("copy-filters")
        defer { directory.remove() }
        let source = directory.file("Maildir")
        try await storeGeneratedMessages(
            into: try MaildirStore(openingSink: source, options: StoreOptions()), folders: [("INBOX", 30), ("Lists", 20)], seed: 68)
        let since = ArchiveSchedule.date("2021-01-01")!
        let before = ArchiveSchedule.date("2023-06-01")!
        let all = try await ArchiveTesting.contents(try MaildirStore(openingSource: source, options: StoreOptions()))
        let expected = Set(all.filter { _, message in
            message.date! >= since && message.date! < before && message.bytes.count <= 1500
                && !message.flags.system.contains(.seen) && !message.flags.system.contains(.flagged)
        }.keys)
        #expect(!expected.isEmpty && expected.count < all.count)
        let run = try await BuiltProducts.run([
            "copy", "maildir:\(source)", "maildir:\(directory.file("out"))", "--since", "2021-01-01", "--before", "2023-06-01",
            "--max-size", "1500", "--unseen-only", "--skip-flagged", "--checkpoint", directory.file("job.sqlite"), "--quiet",
        ])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("\(all.count - expected.count) left out by the filter"), "\(run.stdout)")
        let copied = try await ArchiveTesting.contents(try MaildirStore(openingSource: directory.file("out"), options: StoreOptions()))
        #expect(Set(copied.keys) == expected)
        #expect(FilterOptionGroup.size("64K") == 65_536 && FilterOptionGroup.size("20M") == 20 << 20 && FilterOptionGroup.size("x") == nil)
    }

    @Test("copy --map / --map-regex renames folders, and verify with the same map finds everything")
    func folderMapCLI() async throws {
        let directory = try TemporaryDirectory("copy-map")
        defer { directory.remove() }
        let source = directory.file("Maildir")
        try await storeGeneratedMessages(
            into: try MaildirStore(openingSink: source, options: StoreOptions()),
            folders: [("INBOX", 2), ("Sent Items", 3), ("Lists/Swift", 2), ("Lists/Dovecot", 1)], seed: 69)
        let mapping = ["--map", "Sent Items=Sent", "--map-regex", "^Lists/(.*)$=Mailing lists/$1"]
        let run = try await BuiltProducts.run(
            ["copy", "maildir:\(source)", "maildir:\(directory.file("out"))", "--no-checkpoint", "--quiet"] + mapping)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let folders = try await MaildirStore(openingSource: directory.file("out"), options: StoreOptions()).listFolders()
        let counts = Dictionary(uniqueKeysWithValues: folders.map { ($0.path.displayName, $0.messageCount ?? 0) })
        #expect(counts == ["INBOX": 2, "Sent": 3, "Mailing lists/Swift": 2, "Mailing lists/Dovecot": 1])
        let verify = try await BuiltProducts.run(
            ["verify", "maildir:\(source)", "maildir:\(directory.file("out"))", "--exact"] + mapping)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let bad = try await BuiltProducts.run(
            ["copy", "maildir:\(source)", "maildir:\(directory.file("x"))", "--map-regex", "([=a", "--quiet"])
        #expect(bad.status == 2)
    }

    @Test(
        "archive --name without an extension and --archive-format writes that format with its extension; it verifies",
        arguments: [("zst", ArchiveFormat.tarZstd), ("gz", .tarGzip), ("xz", .tarXz), ("bz2", .tarBzip2), ("tar", .tar), ("zip", .zip)])
    func archiveFormatOption(option: String, format: ArchiveFormat) async throws {
        let directory = try TemporaryDirectory("archive-format")
        defer { directory.remove() }
        let source = directory.file("Maildir")
        try await ArchiveTesting.storeMessages(into: source, [("a", 5 * 86_400), ("b", 4 * 86_400), ("c", 3 * 86_400)])
        let target = directory.file("archive")
        let dayBefore = CivilDate.dayText(Date())
        let run = try await BuiltProducts.run([
            "archive", "maildir:\(source)", "--older-than", "1d", "--to", target, "--name", "mail-{date}",
            "--archive-format", option, "--checkpoint", directory.file("job.sqlite"), "--quiet",
        ])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let volumes = ArchiveTesting.volumes(in: target)
        let expected = Set([dayBefore, CivilDate.dayText(Date())].map { "\(target)/mail-\($0).\(format.fileExtension)" })
        #expect(volumes.count == 1 && expected.contains(volumes[0]), "\(volumes)")
        let volume = try #require(volumes.first)
        #expect(try ArchiveTesting.hasSignature(of: format, volume))
        let verified = try await BuiltProducts.run(["verify", "archive:\(volume)"])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.contains("Intact: all 3 message(s)"), "\(verified.stdout)")
    }

    @Test("archive --archive-format without --name names the volume mail-DATE with that format's extension")
    func archiveFormatWithoutName() async throws {
        let directory = try TemporaryDirectory("archive-format-default")
        defer { directory.remove() }
        let source = directory.file("Maildir")
        try await ArchiveTesting.storeMessages(into: source, [("a", 3 * 86_400)])
        let target = directory.file("archive")
        let dayBefore = CivilDate.dayText(Date())
        let run = try await BuiltProducts.run([
            "archive", "maildir:\(source)", "--older-than", "1d", "--to", target, "--archive-format", "bzip2",
            "--checkpoint", directory.file("job.sqlite"), "--quiet",
        ])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let expected = Set([dayBefore, CivilDate.dayText(Date())].map { "\(target)/mail-\($0).tar.bz2" })
        let volume = try #require(ArchiveTesting.volumes(in: target).first)
        #expect(expected.contains(volume), "\(volume)")
        #expect(try ArchiveTesting.hasSignature(of: .tarBzip2, volume))
    }

    @Test("copy into archive:FILE.bin with --archive-format zip writes a zip that verifies")
    func copyIntoArchiveWithoutExtension() async throws {
        let directory = try TemporaryDirectory("archive-format-copy")
        defer { directory.remove() }
        let source = directory.file("Maildir")
        try await storeGeneratedMessages(
            into: try MaildirStore(openingSink: source, options: StoreOptions()), folders: [("INBOX", 3), ("Sent", 2)], seed: 71)
        let archive = directory.file("mail.bin")
        let copied = try await BuiltProducts.run([
            "copy", "maildir:\(source)", "archive:\(archive)", "--archive-format", "zip", "--no-checkpoint", "--quiet",
        ])
        #expect(copied.status == 0, "\(copied.stdout)\(copied.stderr)")
        #expect(try directory.read("mail.bin").starts(with: Array("PK".utf8)))
        let verified = try await BuiltProducts.run(["verify", "archive:\(archive)"])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.contains("Intact: all 5 message(s)"), "\(verified.stdout)")
        // A name whose extension says otherwise is refused, not silently preferred; nothing is written.
        let contradicted = try await BuiltProducts.run([
            "copy", "maildir:\(source)", "archive:\(directory.file("mail.tar.zst"))", "--archive-format", "zip", "--no-checkpoint",
        ])
        #expect(contradicted.status == 2, "\(contradicted.stdout)\(contradicted.stderr)")
        #expect((contradicted.stdout + contradicted.stderr).contains("--archive-format asks for .zip"))
        #expect(!FileManager.default.fileExists(atPath: directory.file("mail.tar.zst")))
    }

    @Test("archive --older-than 1d takes the mail that arrived over a day ago and leaves the newer")
    func olderThanOneDay() async throws {
        let directory = try TemporaryDirectory("archive-older-than")
        defer { directory.remove() }
        let source = directory.file("Maildir")
        let stored = try await ArchiveTesting.storeMessages(
            into: source, [("three-days", 3 * 86_400), ("two-days", 2 * 86_400), ("an-hour", 3_600)])
        let target = directory.file("archive")
        let run = try await BuiltProducts.run([
            "archive", "maildir:\(source)", "--older-than", "1d", "--to", target, "--delete-from-source",
            "--checkpoint", directory.file("job.sqlite"), "--quiet",
        ])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let volume = try #require(ArchiveTesting.volumes(in: target).first)
        let check = try ArchiveVerifier.verify(path: volume)
        #expect(check.isIntact)
        #expect(Set(check.entries.compactMap(\.messageID)) == ["<three-days@example.org>", "<two-days@example.org>"])
        let remaining = try await ArchiveTesting.contents(try MaildirStore(openingSource: source, options: StoreOptions()))
        #expect(Array(remaining.keys) == [stored[2].fingerprint])
    }

    @Test("verify archive:FILE exits 1 and names the member when a message inside was changed")
    func verifyFindsATamperedMember() async throws {
        let directory = try TemporaryDirectory("archive-tampered")
        defer { directory.remove() }
        let source = directory.file("Maildir")
        try await ArchiveTesting.storeMessages(into: source, [("kept", 86_400), ("changed", 86_400)])
        let archive = directory.file("mail.tar")
        let copied = try await BuiltProducts.run(["copy", "maildir:\(source)", "archive:\(archive)", "--no-checkpoint", "--quiet"])
        #expect(copied.status == 0, "\(copied.stdout)\(copied.stderr)")
        let intact = try await BuiltProducts.run(["verify", "archive:\(archive)"])
        #expect(intact.status == 0, "\(intact.stdout)\(intact.stderr)")
        // One letter of a body, in the uncompressed tar (tar checksums cover only headers).
        var bytes = try directory.read("mail.tar")
        let body = try #require(bytes.firstRange(of: Array("The body of changed.".utf8)))
        bytes[body.lowerBound] = UInt8(ascii: "t")
        try directory.write("mail.tar", bytes)
        let tampered = try await BuiltProducts.run(["verify", "archive:\(archive)"])
        #expect(tampered.status == 1, "\(tampered.stdout)\(tampered.stderr)")
        #expect(tampered.stdout.contains("SHA-256 differs from the manifest's"), "\(tampered.stdout)")
        #expect(tampered.stdout.contains("NOT intact: 1 of 2 message(s)"), "\(tampered.stdout)")
    }

    @Test(
        "a volume name that is taken gets -2 before its extension, then -3",
        arguments: [
            ("mail-{cutoff}.tar.zst", nil, "mail-2024-01-01"), ("mail-{cutoff}", ArchiveFormat.tarXz, "mail-2024-01-01"),
            ("old.tgz", nil, "old"),
        ] as [(String, ArchiveFormat?, String)])
    func takenVolumeNames(template: String, format: ArchiveFormat?, stem: String) throws {
        let directory = try TemporaryDirectory("archive-names")
        defer { directory.remove() }
        let ending = template.hasSuffix(".tgz") ? ".tgz" : ".\((format ?? .tarZstd).fileExtension)"
        let cutoff = try #require(ArchiveSchedule.date("2024-01-01"))
        func next() -> String {
            ArchiveSchedule.volumePath(directory: directory.path, template: template, now: Date(), cutoff: cutoff, format: format)
        }
        #expect(next() == directory.file("\(stem)\(ending)"))
        try directory.write("\(stem)\(ending)", "taken")
        #expect(next() == directory.file("\(stem)-2\(ending)"))
        try directory.write("\(stem)-2\(ending)", "taken")
        #expect(next() == directory.file("\(stem)-3\(ending)"))
    }

    @Test(
        "archive usage errors name the mistake and exit 2",
        arguments: [
            (["--force-expunge"], "--force-expunge only applies with --delete-from-source"),
            (["--name", "mail-{date}.tar.gz", "--archive-format", "xz"], "makes a .tar.gz archive but --archive-format asks for .tar.xz"),
            (["--name", "mail.tar", "--archive-format", "zst"], "makes a .tar archive but --archive-format asks for .tar.zst"),
            (["--name", "mail-{date}"], "has no archive extension"),
        ])
    func archiveUsageErrorMessages(extra: [String], message: String) async throws {
        let run = try await BuiltProducts.run(["archive", "maildir:/nonexistent", "--to", "/tmp/x", "--older-than", "1y"] + extra)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains(message), "\(run.stderr)")
    }

    @Test("usage errors: no cutoff, both cutoffs, a name without an archive extension")
    func usageErrors() async throws {
        for arguments in [
            ["archive", "maildir:/nonexistent", "--to", "/tmp/x"],
            ["archive", "maildir:/nonexistent", "--to", "/tmp/x", "--older-than", "1y", "--before", "2020-01-01"],
            ["archive", "maildir:/nonexistent", "--to", "/tmp/x", "--older-than", "1y", "--name", "mail.rar"],
            ["archive", "maildir:/nonexistent", "--to", "/tmp/x", "--older-than", "soon"],
            ["archive", "maildir:/nonexistent", "--to", "/tmp/x", "--older-than", "12h"],
            ["copy", "maildir:/nonexistent", "maildir:/tmp/x", "--max-size", "big"],
            ["copy", "maildir:/nonexistent", "maildir:/tmp/x", "--unseen-only", "--seen-only"],
            ["copy", "maildir:/nonexistent", "maildir:/tmp/x", "--max-bytes-per-second", "fast"],
        ] {
            let run = try await BuiltProducts.run(arguments)
            #expect(run.status == 2, "\(arguments): \(run.stderr)")
        }
    }
}
