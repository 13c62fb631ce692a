import Foundation
import MailArchive
import MailCore
import MailTesting
import Stores
import Testing

/// `copy … archive:FILE` run again, killed and resumed; folder names an archive must carry;
/// archives that cannot be read.
@Suite("Archives: reruns, crashes, names", .serialized)
struct ArchiveRerunTests {
    static func fingerprints(of volume: String) throws -> [Fingerprint] {
        let check = try ArchiveVerifier.verify(path: volume)
        #expect(check.isIntact, "\(volume)")
        return check.entries.compactMap { Fingerprint(hex: $0.fingerprint) }
    }

    @Test("copy … archive:FILE again: nothing new is 'Nothing to do' (also from a copy of the volume); something new is refused, the volume never changes")
    func rerunIntoACompleteVolume() async throws {
        let directory = try TemporaryDirectory("archive-rerun")
        defer { directory.remove() }
        let source = directory.file("Maildir")
        try await ArchiveTesting.storeMessages(into: source, [("a", 3 * 86_400), ("b", 2 * 86_400)])
        let volume = directory.file("mail.tar.zst")
        let arguments = ["copy", "maildir:\(source)", "archive:\(volume)", "--checkpoint", directory.file("job.sqlite"), "--quiet"]
        let first = try await BuiltProducts.run(arguments)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let written = try directory.read("mail.tar.zst")

        let again = try await BuiltProducts.run(arguments)
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(again.stdout.contains("Nothing to do: all 2 messages"), "\(again.stdout)")
        #expect(try directory.read("mail.tar.zst") == written)

        // The volume copied away and back (another inode): still the volume the job wrote.
        let copy = directory.file("elsewhere.tar.zst")
        try FileManager.default.copyItem(atPath: volume, toPath: copy)
        try FileManager.default.removeItem(atPath: volume)
        try FileManager.default.copyItem(atPath: copy, toPath: volume)
        let restored = try await BuiltProducts.run(arguments)
        #expect(restored.status == 0, "\(restored.stdout)\(restored.stderr)")
        #expect(restored.stdout.contains("Nothing to do: all 2 messages"), "\(restored.stdout)")

        // A new message: an archive is never changed; the run says what to do instead.
        try await ArchiveTesting.storeMessages(into: source, [("c", 86_400)])
        let refused = try await BuiltProducts.run(arguments)
        #expect(refused.status == 3, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stdout.contains("the archive exists already and is never changed"), "\(refused.stdout)")
        #expect(refused.stdout.contains("mailferry archive"), "\(refused.stdout)")
        #expect(try directory.read("mail.tar.zst") == written)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains("partial") }.isEmpty)
        // Nothing was marked in flight: the next run is refused the same way, with nothing to resolve.
        let still = try await BuiltProducts.run(arguments)
        #expect(still.status == 3 && !still.stdout.contains("being written when the last run stopped"), "\(still.stdout)")
    }

    @Test("copy … archive:FILE after another job's volume took the name: the rerun notices it is not its volume")
    func volumeReplacedByAnother() async throws {
        let directory = try TemporaryDirectory("archive-replaced")
        defer { directory.remove() }
        let mine = directory.file("Mine")
        let theirs = directory.file("Theirs")
        try await ArchiveTesting.storeMessages(into: mine, [("a", 3 * 86_400), ("b", 2 * 86_400)])
        try await ArchiveTesting.storeMessages(into: theirs, [("x", 3 * 86_400), ("y", 2 * 86_400)])
        let volume = directory.file("mail.tar.gz")
        let arguments = ["copy", "maildir:\(mine)", "archive:\(volume)", "--checkpoint", directory.file("mine.sqlite"), "--quiet"]
        let first = try await BuiltProducts.run(arguments)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        try FileManager.default.removeItem(atPath: volume)
        // ext4 likely gives the new file the old one's inode: the volume's own id tells them apart.
        let other = try await BuiltProducts.run(
            ["copy", "maildir:\(theirs)", "archive:\(volume)", "--checkpoint", directory.file("theirs.sqlite"), "--quiet"])
        #expect(other.status == 0, "\(other.stdout)\(other.stderr)")
        let rerun = try await BuiltProducts.run(arguments)
        #expect(!rerun.stdout.contains("Nothing to do"), "\(rerun.stdout)")
        #expect(rerun.stdout.contains("destination folder was replaced or deleted"), "\(rerun.stdout)")
        #expect(rerun.status == 3, "\(rerun.stdout)\(rerun.stderr)")
        #expect(rerun.stdout.contains("the archive exists already and is never changed"), "\(rerun.stdout)")
    }

    @Test("copy … archive:FILE killed at every step (also after the volume got its name, and after the commit): the rerun finishes it, each message once")
    func crashAtEveryStep() async throws {
        let directory = try TemporaryDirectory("archive-copy-crash")
        defer { directory.remove() }
        let source = directory.file("Maildir")
        let stored = try await storeGeneratedMessages(
            into: try MaildirStore(openingSink: source, options: StoreOptions()), folders: [("INBOX", 3), ("Work", 2)], seed: 172)
        let all = Set(stored.values.flatMap { $0 }.map(\.fingerprint))
        let volume = directory.file("mail.tar.gz")
        let checkpoint = directory.file("job.sqlite")
        let arguments = [
            "copy", "maildir:\(source)", "archive:\(volume)", "--checkpoint", checkpoint, "--batch-messages", "1", "--quiet",
        ]
        // One message per batch: the same steps in every run (a batch takes what the reader has ready).
        var finished: Int?
        var published: [String] = []  // the crash points after which the volume had its name
        for step in 1...60 {
            for path in [volume, checkpoint, checkpoint + ".job", checkpoint + "-wal", checkpoint + "-shm"] {
                try? FileManager.default.removeItem(atPath: path)
            }
            let crashed = try await BuiltProducts.run(
                arguments, environment: ["MAILFERRY_FAULT_INJECTION": "1", "MAILFERRY_CRASH_AT": String(step)])
            if crashed.status == 0 {
                finished = step
                #expect(Set(try Self.fingerprints(of: volume)) == all)
                break
            }
            #expect(crashed.status == SIGKILL, "step \(step): \(crashed.stderr)")
            let point = crashed.stderr.components(separatedBy: "(").last?.components(separatedBy: ")").first ?? "?"
            if FileManager.default.fileExists(atPath: volume) { published.append(point) }
            if point == "after-sink-close" || point == "after-commit" {
                #expect(FileManager.default.fileExists(atPath: volume), "step \(step) \(point): the volume has its name")
            }
            let resumed = try await BuiltProducts.run(arguments)
            #expect(resumed.status == 0, "step \(step): \(resumed.stdout)\(resumed.stderr)")
            let archived = try Self.fingerprints(of: volume)
            #expect(archived.count == all.count && Set(archived) == all, "step \(step): \(archived.count) archived")
            let again = try await BuiltProducts.run(arguments)
            #expect(again.status == 0 && again.stdout.contains("Nothing to do: all 5 messages"), "step \(step): \(again.stdout)")
        }
        #expect(finished != nil)
        #expect(published == ["after-sink-close", "after-commit"])
    }

    @Test("a folder whose name contains a dot (Clients/acme.com) is archived and restored", arguments: ArchiveFormat.allCases)
    func dottedFolderNames(format: ArchiveFormat) async throws {
        let directory = try TemporaryDirectory("archive-dots")
        defer { directory.remove() }
        let source = directory.file("Maildir")
        try await storeGeneratedMessages(
            into: try MaildirStore(openingSink: source, options: StoreOptions()),
            folders: [("INBOX", 2), ("Clients/acme.com", 3), ("v1.2", 1)], seed: 173)
        let volume = directory.file("mail.\(format.fileExtension)")
        let copied = try await BuiltProducts.run(["copy", "maildir:\(source)", "archive:\(volume)", "--no-checkpoint", "--quiet"])
        #expect(copied.status == 0, "\(copied.stdout)\(copied.stderr)")
        let verified = try await BuiltProducts.run(["verify", "archive:\(volume)"])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        let restored = directory.file("Restored")
        let back = try await BuiltProducts.run(["copy", "archive:\(volume)", "maildir:\(restored)", "--no-checkpoint", "--quiet"])
        #expect(back.status == 0, "\(back.stdout)\(back.stderr)")
        try await ArchiveTesting.expectIdentical(
            try MaildirStore(openingSource: source, options: StoreOptions()),
            try MaildirStore(openingSource: restored, options: StoreOptions()), count: 6)
        let folders = try await MaildirStore(openingSource: restored, options: StoreOptions()).listFolders()
        #expect(Set(folders.filter { $0.messageCount != 0 }.map(\.path.displayName)) == ["INBOX", "Clients/acme.com", "v1.2"])
        // As Dovecot spells it: the dot escaped, so the tree unpacked by tar opens in a mail program.
        #expect(try ArchiveVerifier.verify(path: volume).entries.contains { $0.member.hasPrefix("Maildir/.Clients.acme\\2ecom/cur/") })
    }

    @Test(
        "a tar (GNU tar) of a Maildir in the fs layout restores its folders, with or without a prefix directory and INBOX mail",
        arguments: [(prefix: "", inbox: true), (prefix: "home/me/", inbox: true), (prefix: "backup/", inbox: false)])
    func foreignFSLayoutTree(prefix: String, inbox: Bool) async throws {
        let directory = try TemporaryDirectory("archive-fs-layout")
        defer { directory.remove() }
        let maildir = directory.file("\(prefix)Maildir")
        try FileManager.default.createDirectory(atPath: maildir, withIntermediateDirectories: true)
        var options = StoreOptions()
        options.maildirLayout = .fs
        var folders = [("Work", 3), ("Work/Clients", 2), ("Sent", 2), ("Lists/swift.org", 1)]
        if inbox { folders.insert(("INBOX", 2), at: 0) }
        try await storeGeneratedMessages(into: try MaildirStore(openingSink: maildir, options: options), folders: folders, seed: 174)
        #expect(FileManager.default.fileExists(atPath: "\(maildir)/Work/Clients/cur"))
        let top = prefix.split(separator: "/").first.map(String.init) ?? "Maildir"
        #expect(try runTool("/usr/bin/tar", ["-C", directory.path, "-czf", directory.file("fs.tgz"), top]) == 0)
        let restored = directory.file("Restored")
        let run = try await BuiltProducts.run(
            ["copy", "archive:\(directory.file("fs.tgz"))", "maildir:\(restored)", "--no-checkpoint", "--quiet"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        // Every message in the folder it came from (not all flattened into INBOX).
        try await ArchiveTesting.expectIdentical(
            try MaildirStore(openingSource: maildir, options: options),
            try MaildirStore(openingSource: restored, options: StoreOptions()), count: inbox ? 10 : 8)
        // The report says how each folder was read.
        #expect(run.stdout.contains("Work/Clients: taken from the archive's directory \(prefix)Maildir/Work/Clients/"), "\(run.stdout)")
        #expect(run.stdout.contains("the fs layout) under \(prefix)Maildir/"), "\(run.stdout)")
    }

    @Test("an archive that cannot be read fails before anything is created; its error is printed once")
    func unreadableArchive() async throws {
        let directory = try TemporaryDirectory("archive-garbage")
        defer { directory.remove() }
        try directory.write("garbage.tar.zst", (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) })
        let destination = directory.file("Restored")
        let checkpoint = directory.file("job.sqlite")
        let run = try await BuiltProducts.run([
            "copy", "archive:\(directory.file("garbage.tar.zst"))", "maildir:\(destination)", "--checkpoint", checkpoint, "--quiet",
        ])
        #expect(run.status == 3, "\(run.stdout)\(run.stderr)")
        let output = run.stdout + run.stderr
        #expect(output.components(separatedBy: "cannot open the archive").count == 2, "\(output)")
        #expect(!FileManager.default.fileExists(atPath: destination))
        #expect(!FileManager.default.fileExists(atPath: checkpoint))
        #expect(!FileManager.default.fileExists(atPath: checkpoint + ".job"))
    }
}
