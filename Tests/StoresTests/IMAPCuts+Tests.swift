import Checkpoints
import Engine
import Foundation
import MailCore
import MailTesting
import Stores
import Synchronization
import Testing

/// Connections cut at many byte offsets, on both sides of an IMAP → IMAP copy at once. Part of
/// the serialized IMAP resume suite: it shares the test Dovecot users cutsrc and cutdst.
extension IMAPResumeTests {
    /// Each of the first connections of a proxy gets a cut at a seeded offset in a seeded
    /// direction; later connections (reconnects, the next run's) pass untouched.
    static func plans(count: Int, using generator: inout SeededGenerator) -> [CuttingProxy.Plan?] {
        (0..<count).map { _ in
            // Most bytes flow server → client on the source and client → server on the
            // destination; the other direction carries commands or tagged responses only.
            let towardsClient = Bool.random(using: &generator)
            let offset = towardsClient ? Int.random(in: 40...60_000, using: &generator) : Int.random(in: 20...800, using: &generator)
            return CuttingProxy.Plan(.afterBytes(offset), direction: towardsClient ? .serverToClient : .clientToServer)
        }
    }

    /// A copy that must end by itself (with a report, or an error: a store that could not be
    /// opened through a cut): `nil` when it has not ended after `bound` (the test then fails; the
    /// run is left behind).
    static func bounded(
        _ bound: Duration, _ run: @escaping @Sendable () async throws -> CopyReport
    ) async -> Result<CopyReport, any Error>? {
        let result = Mutex<Result<CopyReport, any Error>?>(nil)
        let task = Task { () -> Result<CopyReport, any Error> in
            do { return .success(try await run()) } catch { return .failure(error) }
        }
        let end = ContinuousClock.now + bound
        Task {
            let report = await task.value
            result.withLock { $0 = report }
        }
        while ContinuousClock.now < end {
            if let report = result.withLock({ $0 }) { return report }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    @Test("cuts at many byte offsets on both sides: every run ends by itself, and reruns finish the job exactly once")
    func cutsAtManyOffsets() async throws {
        try server.reset(user: "cutsrc")
        try server.reset(user: "cutdst")
        let directory = try TemporaryDirectory("imap-cuts")
        defer { directory.remove() }
        let options = plainOptions()
        let folders = [("INBOX", 40), ("Archive", 30), ("Sent", 20), ("Lists", 20)]
        try await fill(try imap(server, "cutsrc"), options: options, folders: folders, seed: 57)
        var total = folders.reduce(0) { $0 + $1.1 }
        let job = JobIdentity(source: "cutsrc", destination: "cutdst")
        let checkpoint = directory.file("job.sqlite")
        var generator = SeededGenerator(seed: 1717)
        var cuts = 0
        for round in 0..<6 {
            if round > 0 {
                // New mail for every run, so that each run of the job has bodies to cut.
                let more = [("INBOX", 10), ("Archive", 8), ("Sent", 6), ("Lists", 6)]
                try await fill(try imap(server, "cutsrc"), options: options, folders: more, seed: 200 + UInt64(round))
                total += more.reduce(0) { $0 + $1.1 }
            }
            let sourceProxy = try CuttingProxy(
                upstreamPort: server.imapPort, plans: Self.plans(count: 4, using: &generator), hideStartTLS: true)
            let destinationProxy = try CuttingProxy(
                upstreamPort: server.imapPort, plans: Self.plans(count: 4, using: &generator), hideStartTLS: true)
            let source = try plain("cutsrc", port: sourceProxy.port)
            let destination = try plain("cutdst", port: destinationProxy.port)
            let started = ContinuousClock.now
            // The watchdog is short here, and no run may need it: a run that stops moving is the bug.
            let lines = Mutex<[String]>([])
            var traced = options
            traced.source.trace = { line in lines.withLock { $0.append("\(ContinuousClock.now) source \(line)") } }
            traced.destination.trace = { line in lines.withLock { $0.append("\(ContinuousClock.now) destination \(line)") } }
            let outcome = await Self.bounded(.seconds(150)) { [traced] in
                try await checkpointedCopy(source, destination, options: traced, checkpoint: checkpoint, identity: job) {
                    $0.stallTimeout = 20
                }
            }
            sourceProxy.stop()
            destinationProxy.stop()
            cuts += sourceProxy.cuts + destinationProxy.cuts
            guard let finished = outcome else {
                Issue.record("round \(round): the run did not end within 150 s")
                return
            }
            guard case .success(let report) = finished else { continue }  // a store could not be opened through a cut
            let stall = [report.stoppedBy?.text].compactMap { $0 } + report.failures.map(\.text)
            #expect(!stall.contains { $0.contains("stopped moving") }, "round \(round): \(stall)")
            if stall.contains(where: { $0.contains("stopped moving") }) {
                print("TRACE round \(round):\n" + lines.withLock { $0.suffix(150) }.joined(separator: "\n"))
            }
            #expect(ContinuousClock.now - started < .seconds(100), "round \(round)")
        }
        #expect(cuts >= 6, "the proxies cut \(cuts) connections")
        // An uncut rerun finishes the job; every message is at the destination exactly once.
        let last = try await checkpointedCopy(
            try imap(server, "cutsrc"), try imap(server, "cutdst"), options: options, checkpoint: checkpoint, identity: job)
        #expect(last.outcome == .complete, "\(last.failures.map(\.text)) \(String(describing: last.stoppedBy?.text))")
        let check = try await verify(try imap(server, "cutsrc"), try imap(server, "cutdst"), options: options)
        #expect(check.matches, "\(check.text)")
        #expect(check.folders.reduce(0) { $0 + $1.matched } == total)
    }

    @Test("a reconnect whose new connection is cut too reconnects again instead of reading on forever")
    func reconnectCutAgain() async throws {
        try server.reset(user: "cutsrc")
        try server.reset(user: "cutdst")
        let directory = try TemporaryDirectory("imap-recut")
        defer { directory.remove() }
        let options = plainOptions()
        try await fill(try imap(server, "cutsrc"), options: options, folders: [("INBOX", 30)], seed: 58)
        // The first connection (store, listing, reader) is cut inside a FETCH literal; the
        // reader's reconnect is cut just before its EXAMINE; the next one passes.
        let proxy = try CuttingProxy(
            upstreamPort: server.imapPort,
            plans: [
                CuttingProxy.Plan(.after(pattern: "BODY[] {", extra: 300), direction: .serverToClient),
                CuttingProxy.Plan(.before(pattern: "EXAMINE"), direction: .clientToServer),
            ],
            hideStartTLS: true)
        defer { proxy.stop() }
        let source = try plain("cutsrc", port: proxy.port)
        let destination = try imap(server, "cutdst")
        let checkpoint = directory.file("job.sqlite")
        let outcome = await Self.bounded(.seconds(90)) {
            try await checkpointedCopy(source, destination, options: options, checkpoint: checkpoint) { $0.stallTimeout = 30 }
        }
        let finished = try #require(outcome, "the run did not end within 90 s")
        let report = try finished.get()
        #expect(proxy.cuts == 2)
        #expect(report.outcome == .complete, "\(report.failures.map(\.text)) \(String(describing: report.stoppedBy?.text))")
        #expect(report.totals.copied == 30)
    }

    @Test("a cut during the reader's first listing: the reconnect starts once, and the copy does not hang behind its own batches")
    func listingCut() async throws {
        try server.reset(user: "cutsrc")
        try server.reset(user: "cutdst")
        let directory = try TemporaryDirectory("imap-listcut")
        defer { directory.remove() }
        let options = plainOptions()
        try await fill(try imap(server, "cutsrc"), options: options, folders: [("INBOX", 30)], seed: 59)
        // The first connection (store, listing, reader) is cut as the reader asks for the UID
        // list; the reconnect passes. Before the fix the reader started a second time on the new
        // connection: an EXAMINE behind its own FETCH batches, never answered (reads paused).
        let proxy = try CuttingProxy(
            upstreamPort: server.imapPort,
            plans: [CuttingProxy.Plan(.before(pattern: "UID FETCH 1:*"), direction: .clientToServer)], hideStartTLS: true)
        defer { proxy.stop() }
        let source = try plain("cutsrc", port: proxy.port)
        let destination = try imap(server, "cutdst")
        let checkpoint = directory.file("job.sqlite")
        let outcome = await Self.bounded(.seconds(90)) {
            try await checkpointedCopy(source, destination, options: options, checkpoint: checkpoint) { $0.stallTimeout = 20 }
        }
        let finished = try #require(outcome, "the run did not end within 90 s")
        let report = try finished.get()
        #expect(proxy.cuts == 1)
        #expect(report.outcome == .complete, "\(report.failures.map(\.text)) \(String(describing: report.stoppedBy?.text))")
        #expect(report.totals.copied == 30)
    }
}
