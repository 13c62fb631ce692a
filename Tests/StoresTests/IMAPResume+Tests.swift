import Checkpoints
import Engine
import Foundation
import MailCore
import MailTesting
import Stores
import Synchronization
import Testing

/// One checkpointed copy run, as `mailferry copy` makes it.
func checkpointedCopy(
    _ from: StoreEndpoint, _ to: StoreEndpoint, options: StoreOptions, checkpoint path: String, identity: JobIdentity? = nil,
    adjust: (inout CopyOptions) -> Void = { _ in }
) async throws -> CopyReport {
    let source = try await StoreFactory.openSource(from, options: options)
    let sink = try await StoreFactory.openSink(to, options: options)
    let checkpoint = try SQLiteCheckpointStore(
        path: path, identity: identity ?? JobIdentity(source: from.jobKey, destination: to.jobKey))
    var copyOptions = CopyOptions()
    copyOptions.planner = CopyPlanner(toFolder: to.folder, onlyFolder: from.folder)
    copyOptions.repair = false  // generated mail has NULs and raw 8-bit headers; these tests check bytes are kept
    copyOptions.batchMessages = 10
    adjust(&copyOptions)
    let report = await CopyEngine(source: source, sink: sink, options: copyOptions, checkpoint: checkpoint).run()
    await checkpoint.close()
    await source.close()
    try? await sink.close()
    return report
}

/// Compares two stores as `mailferry verify --exact` does.
func verify(_ from: StoreEndpoint, _ to: StoreEndpoint, options: StoreOptions) async throws -> VerifyReport {
    let source = try await StoreFactory.openSource(from, options: options)
    let destination = try await StoreFactory.openDestinationForReading(to, options: options)
    let report = await Verifier(
        source: source, destination: destination, planner: CopyPlanner(toFolder: to.folder, onlyFolder: from.folder),
        exact: true, repair: false  // as the copies here: bytes kept exactly
    ).run()
    await source.close()
    await destination.close()
    return report
}

/// Writes `count` generated messages into each folder of a store.
func fill(_ endpoint: StoreEndpoint, options: StoreOptions, folders: [(String, Int)], seed: UInt64) async throws {
    let sink = try await StoreFactory.openSink(endpoint, options: options)
    try await storeGeneratedMessages(into: sink, folders: folders, seed: seed)
    try await sink.close()
}

@Suite("Checkpointed IMAP copies against the test Dovecot", .enabled(if: TestServer.isAvailable, TestServer.skipReason), .serialized)
struct IMAPResumeTests {
    let server = TestServer.current!

    /// The plain IMAP port seen through a proxy that hides STARTTLS (patterns are visible), with
    /// plaintext allowed for this loopback test only.
    func plain(_ user: String, port: Int) throws -> StoreEndpoint {
        try StoreEndpoint(parsing: "imap://\(user)@127.0.0.1:\(port)")
    }

    func plainOptions() -> StoreOptions {
        var options = serverOptions(server)
        options.source.allowPlaintext = true
        options.destination.allowPlaintext = true
        return options
    }

    enum Cut: String, CaseIterable, Sendable {
        case midFetchLiteral, midAppendLiteral, beforeAppendOK
    }

    @Test("a connection cut mid-FETCH, mid-APPEND or just before APPEND's OK costs no message and no duplicate", arguments: Cut.allCases)
    func cutConnection(cut: Cut) async throws {
        try server.reset(user: "cutsrc")
        try server.reset(user: "cutdst")
        let directory = try TemporaryDirectory("imap-cut")
        defer { directory.remove() }
        let options = plainOptions()
        try await fill(try imap(server, "cutsrc"), options: options, folders: [("INBOX", 30), ("Archive", 20)], seed: 31)
        let proxy: CuttingProxy
        switch cut {
        case .midFetchLiteral:
            proxy = try CuttingProxy(
                upstreamPort: server.imapPort, cut: .after(pattern: "BODY[] {", extra: 300), direction: .serverToClient,
                hideStartTLS: true)
        case .midAppendLiteral:
            proxy = try CuttingProxy(
                upstreamPort: server.imapPort, cut: .after(pattern: " APPEND ", extra: 400), direction: .clientToServer,
                hideStartTLS: true)
        case .beforeAppendOK:
            proxy = try CuttingProxy(
                upstreamPort: server.imapPort, cut: .before(pattern: "OK [APPENDUID"), direction: .serverToClient,
                hideStartTLS: true)
        }
        let source = cut == .midFetchLiteral ? try plain("cutsrc", port: proxy.port) : try imap(server, "cutsrc")
        let destination = cut == .midFetchLiteral ? try imap(server, "cutdst") : try plain("cutdst", port: proxy.port)
        // Both runs are one job, whichever way they reach the server.
        let job = JobIdentity(source: "cutsrc", destination: "cutdst")
        let first = try await checkpointedCopy(
            source, destination, options: options, checkpoint: directory.file("job.sqlite"), identity: job
        ) { $0.maximumConcurrency = 1 }
        #expect(proxy.cuts == 1, "the connection was cut")
        #expect(first.outcome == .complete, "\(first.failures.map(\.text)) \(String(describing: first.stoppedBy?.text))")
        let second = try await checkpointedCopy(
            try imap(server, "cutsrc"), try imap(server, "cutdst"), options: options, checkpoint: directory.file("job.sqlite"),
            identity: job)
        #expect(second.totals.copied == 0)
        let check = try await verify(try imap(server, "cutsrc"), try imap(server, "cutdst"), options: options)
        #expect(check.matches, "\(check.text)")
        #expect(check.folders.reduce(0) { $0 + $1.matched } == 50)
    }

    @Test("a rerun with nothing new is a no-op; new mail alone is copied; flag changes follow with --sync-flags")
    func rerunsAndFlags() async throws {
        try server.reset(user: "rerunsrc")
        try server.reset(user: "rerundst")
        let directory = try TemporaryDirectory("imap-rerun")
        defer { directory.remove() }
        let options = serverOptions(server)
        let source = try imap(server, "rerunsrc")
        let destination = try imap(server, "rerundst")
        let job = directory.file("job.sqlite")
        try await fill(source, options: options, folders: [("INBOX", 25), ("Archive", 15), ("Sent", 5)], seed: 41)
        let first = try await checkpointedCopy(source, destination, options: options, checkpoint: job)
        #expect(first.totals.copied == 45)
        // The no-op rerun reads the listings only: no destination folder is opened, nothing fetched.
        let commands = Mutex<[String]>([])
        var traced = options
        traced.source.trace = { line in if line.hasPrefix("C: ") { commands.withLock { $0.append("source " + line) } } }
        traced.destination.trace = { line in if line.hasPrefix("C: ") { commands.withLock { $0.append("destination " + line) } } }
        let noop = try await checkpointedCopy(source, destination, options: traced, checkpoint: job)
        #expect(noop.nothingToDo)
        #expect(noop.folders.allSatisfy { $0.upToDate })
        #expect(noop.totals.skipped == 45)
        let sent = commands.withLock { $0 }
        #expect(sent.contains { $0.contains("STATUS") })
        #expect(!sent.contains { $0.contains(" SELECT ") || $0.contains(" EXAMINE ") || $0.contains(" FETCH ") || $0.contains(" APPEND ") }, "\(sent)")

        try await fill(source, options: options, folders: [("Archive", 3)], seed: 42)
        let incremental = try await checkpointedCopy(source, destination, options: options, checkpoint: job)
        #expect(incremental.totals.copied == 3)
        #expect(incremental.folders.first { $0.source == "Archive" }?.skipped == 15)

        // Change flags on the source the way a mail client would (UID STORE).
        let sourceStore = try await StoreFactory.openSink(source, options: options)
        let inbox = try await sourceStore.openFolder(.inbox, subscribe: false)
        let stored = try await inbox.existingMessages()
        let changes = stored.prefix(4).map { ($0.reference, FlagSet([.seen, .flagged, .keyword(Keyword("Later")!)])) }
        #expect(try await inbox.updateFlags(changes).allSatisfy { $0 != nil })
        try await inbox.close()
        try await sourceStore.close()
        let before = try await verify(source, destination, options: options)
        #expect(!before.matches && before.folders.first { $0.destination == "INBOX" }?.flagDifferenceCount ?? 0 > 0)
        let synced = try await checkpointedCopy(source, destination, options: options, checkpoint: job) {
            $0.resume.syncFlags = true
        }
        #expect(synced.totals.copied == 0)
        #expect(synced.totals.flagsUpdated >= 1 && synced.totals.flagsUpdated <= 4)
        let after = try await verify(source, destination, options: options)
        #expect(after.matches, "\(after.text)")
    }

    @Test("a source folder deleted and created again (new UIDVALIDITY) is matched by content: no duplicates")
    func uidValidityChange() async throws {
        try server.reset(user: "rerunsrc")
        try server.reset(user: "rerundst")
        let directory = try TemporaryDirectory("imap-uidvalidity")
        defer { directory.remove() }
        let options = serverOptions(server)
        let source = try imap(server, "rerunsrc")
        let destination = try imap(server, "rerundst")
        let job = directory.file("job.sqlite")
        try await fill(.maildir(path: directory.file("original")), options: options, folders: [("Archive", 20)], seed: 51)
        _ = try await copy(.maildir(path: directory.file("original")), source, options: options)
        let first = try await checkpointedCopy(source, destination, options: options, checkpoint: job)
        #expect(first.totals.copied == 20)
        let validity = try await StoreFactory.openSource(source, options: options).listFolders()
            .first { $0.path.displayName == "Archive" }?.validity
        try server.deleteFolder(user: "rerunsrc", maildirName: ".Archive")
        try await Task.sleep(for: .seconds(1.1))  // Dovecot's UIDVALIDITY is a time in seconds
        _ = try await copy(.maildir(path: directory.file("original")), source, options: options)
        let recreated = try await StoreFactory.openSource(source, options: options).listFolders()
            .first { $0.path.displayName == "Archive" }?.validity
        #expect(recreated != validity)
        let rerun = try await checkpointedCopy(source, destination, options: options, checkpoint: job)
        #expect(rerun.totals.copied == 0)
        #expect(rerun.notes.contains { $0.contains("source folder was replaced") })
        let check = try await verify(source, destination, options: options)
        #expect(check.matches, "\(check.text)")
    }

    @Test("--dedup skips what an earlier tool copied, but copies a different message with the same Message-ID")
    func dedup() async throws {
        try server.reset(user: "rerunsrc")
        try server.reset(user: "rerundst")
        let directory = try TemporaryDirectory("imap-dedup")
        defer { directory.remove() }
        let options = serverOptions(server)
        let source = try imap(server, "rerunsrc")
        let destination = try imap(server, "rerundst")
        let shared = "Message-ID: <shared@test.example>\r\nSubject: one\r\n\r\nfirst message\r\n"
        let impostor = "Message-ID: <shared@test.example>\r\nSubject: two\r\n\r\na different message, same Message-ID\r\n"
        let draft = "Subject: draft\r\n\r\nno Message-ID\r\n"
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        func envelope(_ text: String) -> MessageEnvelope {
            MessageEnvelope(bytes: Array(text.utf8), folder: .inbox, key: SourceKey(text), flags: FlagSet([.seen]), internalDate: date)
        }
        for (endpoint, texts) in [(source, [shared, impostor, draft]), (destination, [shared, draft])] {
            let sink = try await StoreFactory.openSink(endpoint, options: options)
            let writer = try await sink.openFolder(.inbox, subscribe: true)
            _ = try await writer.store(texts.map(envelope))
            try await writer.close()
            try await sink.close()
        }
        try await fill(source, options: options, folders: [("INBOX", 10)], seed: 61)
        let report = try await checkpointedCopy(source, destination, options: options, checkpoint: directory.file("job.sqlite")) {
            $0.resume.dedup = true
        }
        #expect(report.totals.deduplicated == 2)
        #expect(report.totals.copied == 11)
        let check = try await verify(source, destination, options: options)
        #expect(check.matches, "\(check.text)")
    }

    @Test("NO [OVERQUOTA] stops the run with a clear error; once there is room, the rerun completes exactly once")
    func overQuota() async throws {
        try server.reset(user: "quota")
        let directory = try TemporaryDirectory("imap-quota")
        defer { directory.remove() }
        let options = serverOptions(server)
        let original = StoreEndpoint.maildir(path: directory.file("original"))
        let line = String(repeating: "quota test line, 48 bytes of text to fill it. \n", count: 85)  // ~4 KB
        let sink = try await StoreFactory.openSink(original, options: options)
        for (name, count) in [("Filler", 15), ("Reports", 30)] {
            let folder = FolderPath([name])!
            let writer = try await sink.openFolder(folder, subscribe: true)
            _ = try await writer.store(
                (0..<count).map { index in
                    MessageEnvelope(
                        bytes: Array("Message-ID: <\(name)\(index)@quota>\nSubject: \(name) \(index)\n\n\(line)".utf8), folder: folder,
                        key: SourceKey("\(index)"), flags: FlagSet([.seen]), internalDate: Date(timeIntervalSince1970: 1_690_000_000))
                })
            try await writer.close()
        }
        try await sink.close()
        _ = try await copy(original, try imap(server, "quota"), options: options, planner: CopyPlanner(include: [FolderPattern("Filler")]))
        let job = directory.file("job.sqlite")
        let destination = try imap(server, "quota")
        let full = try await checkpointedCopy(original, destination, options: options, checkpoint: job) {
            $0.planner = CopyPlanner(include: [FolderPattern("Reports")])
        }
        #expect(full.outcome == .stopped)
        #expect(full.stoppedBy?.code == "no-space")
        #expect(full.stoppedBy?.reason.contains("OVERQUOTA") == true || full.stoppedBy?.reason.lowercased().contains("quota") == true)
        #expect(full.totals.copied < 30)
        try server.deleteFolder(user: "quota", maildirName: ".Filler")
        let resumed = try await checkpointedCopy(original, destination, options: options, checkpoint: job) {
            $0.planner = CopyPlanner(include: [FolderPattern("Reports")])
        }
        #expect(resumed.outcome == .complete, "\(String(describing: resumed.stoppedBy?.text))")
        let source = try await StoreFactory.openSource(original, options: options)
        let stored = try await StoreFactory.openDestinationForReading(destination, options: options)
        let check = await Verifier(
            source: source, destination: stored, planner: CopyPlanner(include: [FolderPattern("Reports")]), exact: true,
            repair: false
        ).run()
        #expect(check.matches, "\(check.text)")
        #expect(check.folders.first?.matched == 30)
    }
}
