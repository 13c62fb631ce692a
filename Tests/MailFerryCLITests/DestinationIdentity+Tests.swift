import Foundation
import MailArchive
import MailCore
import MailFormats
import MailTesting
import Stores
import Testing

/// A rerun must not trust its checkpoint when the destination is gone: a Maildir folder, an mbox
/// file or an archive volume deleted or replaced since the last run is noticed by its identity
/// (recorded at the first write, checked on every run) and its messages are copied again.
@Suite("Destination identity on reruns", .serialized)
struct DestinationIdentityTests {
    static let mbox = """
        From a@example.org Sat Jan  3 01:05:34 2015
        Message-ID: <one@example.org>
        Subject: one

        The first body.

        From b@example.org Sun Jan  4 01:05:34 2015
        Message-ID: <two@example.org>
        Subject: two

        The second body.

        """

    /// Runs `copy SOURCE DEST` with the job's checkpoint; returns the status and all output.
    static func copy(_ source: String, _ destination: String, checkpoint: String, _ extra: [String] = []) async throws
        -> (status: Int32, output: String)
    {
        let run = try await BuiltProducts.run(
            ["copy", source, destination, "--checkpoint", checkpoint, "--quiet"] + extra)
        return (run.status, run.stdout + run.stderr)
    }

    /// The fingerprints of every message of a store, with how often each occurs.
    static func fingerprints(_ store: any MessageSource) async throws -> [Fingerprint: Int] {
        var counts: [Fingerprint: Int] = [:]
        for folder in try await store.listFolders() where folder.isSelectable {
            let stream = try await store.messages(in: folder)
            for try await item in stream {
                if case .message(let envelope) = item { counts[envelope.fingerprint, default: 0] += 1 }
            }
            stream.reader.close()
        }
        await store.close()
        return counts
    }

    /// Removes everything inside `directory` and makes it an empty Maildir folder again, keeping
    /// the directory itself: the same `device:inode`, as ext4 often gives a directory deleted and
    /// created again — what a checkpoint keyed on the inode cannot tell from the old folder.
    static func emptyInPlace(_ directory: String) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            try FileManager.default.removeItem(atPath: "\(directory)/\(name)")
        }
        for sub in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(atPath: "\(directory)/\(sub)", withIntermediateDirectories: false)
        }
    }

    @Test("mbox → Maildir, the Maildir deleted (or emptied in place): the rerun copies again and says why", arguments: [
        "deleted", "emptied in place",
    ])
    func maildirDeleted(how: String) async throws {
        let directory = try TemporaryDirectory("identity-maildir")
        defer { directory.remove() }
        try directory.write("in.mbox", Self.mbox)
        let source = "mbox:\(directory.file("in.mbox"))"
        let maildir = directory.file("Maildir")
        let checkpoint = directory.file("job.sqlite")
        let first = try await Self.copy(source, "maildir:\(maildir)", checkpoint: checkpoint)
        #expect(first.status == 0, "\(first.output)")
        let expected = try await Self.fingerprints(try MboxStore(openingSource: directory.file("in.mbox"), options: StoreOptions()))
        #expect(expected.count == 2)

        if how == "deleted" {
            try FileManager.default.removeItem(atPath: maildir)
        } else {
            try Self.emptyInPlace(maildir)
        }
        let second = try await Self.copy(source, "maildir:\(maildir)", checkpoint: checkpoint)
        #expect(second.status == 0, "\(second.output)")
        #expect(!second.output.contains("Nothing to do"), "\(second.output)")
        #expect(second.output.contains("2 messages copied"), "\(second.output)")
        #expect(second.output.contains("destination folder was replaced or deleted"), "\(second.output)")
        #expect(try await Self.fingerprints(try MaildirStore(openingSource: maildir, options: StoreOptions())) == expected)

        let third = try await Self.copy(source, "maildir:\(maildir)", checkpoint: checkpoint)
        #expect(third.status == 0, "\(third.output)")
        #expect(third.output.contains("Nothing to do: all 2 messages"), "\(third.output)")
        #expect(try await Self.fingerprints(try MaildirStore(openingSource: maildir, options: StoreOptions())) == expected)
    }

    @Test("Maildir → Maildir, one destination folder replaced (deleted and created again): only it is copied again", arguments: [
        "recreated", "emptied in place",
    ])
    func maildirFolderReplaced(how: String) async throws {
        let directory = try TemporaryDirectory("identity-folder")
        defer { directory.remove() }
        let source = directory.file("Source")
        try await storeGeneratedMessages(
            into: try MaildirStore(openingSink: source, options: StoreOptions()), folders: [("INBOX", 4), ("Work", 3)], seed: 171)
        let destination = directory.file("Destination")
        let checkpoint = directory.file("job.sqlite")
        let first = try await Self.copy("maildir:\(source)", "maildir:\(destination)", checkpoint: checkpoint)
        #expect(first.status == 0, "\(first.output)")
        let expected = try await Self.fingerprints(try MaildirStore(openingSource: source, options: StoreOptions()))
        #expect(try await Self.fingerprints(try MaildirStore(openingSource: destination, options: StoreOptions())) == expected)

        // Another program (a mail client through Dovecot) deleted Work and created it again.
        let work = "\(destination)/.Work"
        if how == "recreated" {
            try FileManager.default.removeItem(atPath: work)
            for sub in ["cur", "new", "tmp"] {
                try FileManager.default.createDirectory(atPath: "\(work)/\(sub)", withIntermediateDirectories: true)
            }
            FileManager.default.createFile(atPath: "\(work)/maildirfolder", contents: Data())
        } else {
            try Self.emptyInPlace(work)
        }
        let second = try await Self.copy("maildir:\(source)", "maildir:\(destination)", checkpoint: checkpoint)
        #expect(second.status == 0, "\(second.output)")
        #expect(second.output.contains("3 messages copied"), "\(second.output)")
        #expect(second.output.contains("Work: the destination folder was replaced or deleted"), "\(second.output)")
        #expect(!second.output.contains("INBOX: the destination folder was replaced"), "\(second.output)")
        #expect(try await Self.fingerprints(try MaildirStore(openingSource: destination, options: StoreOptions())) == expected)

        let third = try await Self.copy("maildir:\(source)", "maildir:\(destination)", checkpoint: checkpoint)
        #expect(third.output.contains("Nothing to do: all 7 messages"), "\(third.output)")
    }

    @Test("a Maildir folder's identity file: read back, never replaced by a second writer, renewed when unreadable, not a folder")
    func maildirIdentityFile() async throws {
        let directory = try TemporaryDirectory("identity-file")
        defer { directory.remove() }
        try directory.write("in.mbox", Self.mbox)
        let source = "mbox:\(directory.file("in.mbox"))"
        let checkpoint = directory.file("job.sqlite")
        let first = try await Self.copy(source, "maildir:\(directory.file("Maildir"))", checkpoint: checkpoint, ["--to-folder", "Old"])
        #expect(first.status == 0, "\(first.output)")
        let identity = try #require(MaildirFolderIdentity.read(directory.file("Maildir/.Old")))
        #expect(identity.hasPrefix(MaildirFolderIdentity.prefix))
        let folders = try await MaildirStore(openingSource: directory.file("Maildir"), options: StoreOptions()).listFolders()
        #expect(folders.map(\.path.displayName) == ["INBOX", "Old"])
        // The same id when read again and when established again (never replaced by a second writer).
        #expect(try MaildirFolderIdentity.establish(directory.file("Maildir/.Old")) == identity)
        // An unreadable id is a lost one: it is replaced by a new one.
        try directory.write("Maildir/.Old/\(MaildirFolderIdentity.fileName)", "")
        let renewed = try MaildirFolderIdentity.establish(directory.file("Maildir/.Old"))
        #expect(renewed != identity && renewed.hasPrefix(MaildirFolderIdentity.prefix))
        #expect(MaildirFolderIdentity.read(directory.file("Maildir/.Old")) == renewed)
        // A checkpoint from before identity files recorded the directory's device:inode: still this folder.
        let writer = try await MaildirStore(openingSink: directory.file("Maildir"), options: StoreOptions())
            .openFolder(try #require(FolderPath(parsing: "Old", delimiter: "/")), subscribe: true)
        #expect(writer.validity == renewed)
        #expect(writer.isSameFolder(recorded: try #require(MaildirFolderState.identity(of: directory.file("Maildir/.Old")))))
        #expect(!writer.isSameFolder(recorded: "id:another"))
        #expect(!writer.isSameFolder(recorded: "1:2"))
        try await writer.close()
    }

    @Test("mbox → mbox, the destination file deleted: the rerun copies again and says why")
    func mboxDeleted() async throws {
        let directory = try TemporaryDirectory("identity-mbox")
        defer { directory.remove() }
        try directory.write("in.mbox", Self.mbox)
        let source = "mbox:\(directory.file("in.mbox"))"
        let output = directory.file("out.mbox")
        let checkpoint = directory.file("job.sqlite")
        let first = try await Self.copy(source, "mbox:\(output)", checkpoint: checkpoint)
        #expect(first.status == 0, "\(first.output)")
        let again = try await Self.copy(source, "mbox:\(output)", checkpoint: checkpoint)
        #expect(again.output.contains("Nothing to do: all 2 messages"), "\(again.output)")

        try FileManager.default.removeItem(atPath: output)
        let second = try await Self.copy(source, "mbox:\(output)", checkpoint: checkpoint)
        #expect(second.status == 0, "\(second.output)")
        #expect(second.output.contains("2 messages copied"), "\(second.output)")
        #expect(second.output.contains("destination folder was replaced or deleted"), "\(second.output)")
        let expected = try await Self.fingerprints(try MboxStore(openingSource: directory.file("in.mbox"), options: StoreOptions()))
        #expect(try await Self.fingerprints(try MboxStore(openingSource: output, options: StoreOptions())) == expected)
        let third = try await Self.copy(source, "mbox:\(output)", checkpoint: checkpoint)
        #expect(third.output.contains("Nothing to do: all 2 messages"), "\(third.output)")
    }

    @Test("copy … archive:FILE, the volume deleted: the rerun writes it again with every message")
    func archiveVolumeDeleted() async throws {
        let directory = try TemporaryDirectory("identity-archive")
        defer { directory.remove() }
        try directory.write("in.mbox", Self.mbox)
        let source = "mbox:\(directory.file("in.mbox"))"
        let volume = directory.file("mail.tar.zst")
        let checkpoint = directory.file("job.sqlite")
        let first = try await Self.copy(source, "archive:\(volume)", checkpoint: checkpoint)
        #expect(first.status == 0, "\(first.output)")

        try FileManager.default.removeItem(atPath: volume)
        let second = try await Self.copy(source, "archive:\(volume)", checkpoint: checkpoint)
        #expect(second.status == 0, "\(second.output)")
        #expect(second.output.contains("2 messages copied"), "\(second.output)")
        #expect(second.output.contains("destination folder was replaced or deleted"), "\(second.output)")
        let check = try ArchiveVerifier.verify(path: volume)
        #expect(check.isIntact && check.messages == 2)
        let third = try await Self.copy(source, "archive:\(volume)", checkpoint: checkpoint)
        #expect(third.status == 0, "\(third.output)")
        #expect(third.output.contains("Nothing to do: all 2 messages"), "\(third.output)")
    }
}
