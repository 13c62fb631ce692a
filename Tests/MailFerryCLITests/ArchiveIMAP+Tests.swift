import Engine
import Foundation
import MailArchive
import MailCore
import MailTesting
import Stores
import Testing
@testable import MailFerryCLI

@Suite("Archives and IMAP, from the command line", .enabled(if: TestServer.isAvailable, TestServer.skipReason), .serialized)
struct ArchiveIMAPCLITests {
    let server = TestServer.current!

    var environment: [String: String] {
        ["MAILFERRY_SOURCE_PASSWORD": server.password, "MAILFERRY_DEST_PASSWORD": server.password]
    }

    func url(_ user: String) -> String { "imaps://\(user)@\(server.host):\(server.imapsPort)" }

    func options() -> StoreOptions {
        var options = StoreOptions()
        for side in [\StoreOptions.source, \StoreOptions.destination] {
            options[keyPath: side].password = .command("echo \(server.password)")
            options[keyPath: side].caFile = server.caFile
        }
        return options
    }

    func imap(_ user: String) async throws -> any MessageSource {
        try await StoreFactory.openSource(try StoreEndpoint(parsing: url(user)), options: options())
    }

    @Test("IMAP → archive → IMAP: bytes, flags, keywords, dates and folders identical, for each compression")
    func imapRoundTrip() async throws {
        try server.reset(user: "arca")
        let sink = try await StoreFactory.openSink(try StoreEndpoint(parsing: url("arca")), options: options())
        try await storeGeneratedMessages(into: sink, folders: ArchiveTesting.folders, seed: 71)
        try await sink.close()
        let directory = try TemporaryDirectory("archive-imap")
        defer { directory.remove() }
        for format in ArchiveFormat.allCases {
            try server.reset(user: "arcb")
            let archive = directory.file("account.\(format.fileExtension)")
            let out = try await BuiltProducts.run(
                ["copy", url("arca"), "archive:\(archive)", "--ca-file", server.caFile, "--no-checkpoint", "--quiet"],
                environment: environment)
            #expect(out.status == 0, "\(format): \(out.stdout)\(out.stderr)")
            let back = try await BuiltProducts.run(
                ["copy", "archive:\(archive)", url("arcb"), "--ca-file", server.caFile, "--no-checkpoint", "--quiet", "--no-repair"],
                environment: environment)
            #expect(back.status == 0, "\(format): \(back.stdout)\(back.stderr)")
            try await ArchiveTesting.expectIdentical(try await imap("arca"), try await imap("arcb"), count: 18)
        }
    }

    @Test("archive from IMAP with --delete-from-source: old mail moves into a verified volume, newer mail stays")
    func imapDeleteFromSource() async throws {
        try server.reset(user: "arcc")
        let sink = try await StoreFactory.openSink(try StoreEndpoint(parsing: url("arcc")), options: options())
        let stored = try await storeGeneratedMessages(into: sink, folders: [("INBOX", 15), ("Work", 10)], seed: 72)
        try await sink.close()
        let all = stored.values.flatMap { $0 }
        let cutoff = ArchiveSchedule.date("2022-07-01")!
        let old = Set(all.filter { $0.internalDate! < cutoff && $0.flags.system.contains(.seen) }.map(\.fingerprint))
        #expect(!old.isEmpty)
        let directory = try TemporaryDirectory("archive-imap-delete")
        defer { directory.remove() }
        let run = try await BuiltProducts.run(
            [
                "archive", url("arcc"), "--before", "2022-07-01", "--to", directory.file("volumes"), "--include-flagged",
                "--delete-from-source", "--checkpoint", directory.file("job.sqlite"), "--ca-file", server.caFile, "--quiet",
                "--trace", directory.file("trace.txt"),
            ], environment: environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        // The cutoff and the unread rule went to the server: newer mail was not downloaded.
        let trace = String(decoding: try directory.read("trace.txt"), as: UTF8.self)
        #expect(trace.contains("UID SEARCH BEFORE 2-Jul-2022 SEEN"), "\(trace.prefix(2000))")
        #expect(run.stdout.contains("\(old.count) deleted from the source"), "\(run.stdout)")
        let volumes = ArchiveTesting.volumes(in: directory.file("volumes"))
        #expect(volumes.count == 1)
        let check = try ArchiveVerifier.verify(path: try #require(volumes.first))
        #expect(check.isIntact)
        #expect(Set(check.entries.compactMap { Fingerprint(hex: $0.fingerprint) }) == old)
        let remaining = try await ArchiveTesting.contents(try await imap("arcc"))
        #expect(Set(remaining.keys) == Set(all.map(\.fingerprint)).subtracting(old))
        // Unread mail older than the cutoff stayed on the server.
        #expect(remaining.values.contains { $0.date! < cutoff && !$0.flags.system.contains(.seen) })
    }

    @Test("copy from IMAP with date and size filters: the server searches, only matching mail is downloaded")
    func imapCopyFilters() async throws {
        try server.reset(user: "arcd")
        let sink = try await StoreFactory.openSink(try StoreEndpoint(parsing: url("arcd")), options: options())
        try await storeGeneratedMessages(into: sink, folders: [("INBOX", 20)], seed: 73)
        try await sink.close()
        let since = ArchiveSchedule.date("2022-01-01")!
        let all = try await ArchiveTesting.contents(try await imap("arcd"))
        let expected = Set(all.filter { $0.value.date! >= since && $0.value.bytes.count <= 2048 }.keys)
        #expect(!expected.isEmpty && expected.count < all.count)
        let directory = try TemporaryDirectory("imap-filters")
        defer { directory.remove() }
        let run = try await BuiltProducts.run(
            [
                "copy", url("arcd"), "maildir:\(directory.file("out"))", "--since", "2022-01-01", "--max-size", "2K",
                "--ca-file", server.caFile, "--no-checkpoint", "--quiet", "--keep-line-endings", "--trace", directory.file("trace.txt"),
            ], environment: environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let trace = String(decoding: try directory.read("trace.txt"), as: UTF8.self)
        #expect(trace.contains("UID SEARCH SINCE 31-Dec-2021 SMALLER 2049"), "\(trace.prefix(1500))")
        let copied = try await ArchiveTesting.contents(try MaildirStore(openingSource: directory.file("out"), options: StoreOptions()))
        #expect(Set(copied.keys) == expected)
    }
}
