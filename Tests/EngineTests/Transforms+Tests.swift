import Engine
import Foundation
import MailCore
import MailTesting
import Stores
import Testing

@Suite("Transforms and the quarantine in the engine")
struct TransformTests {
    static let inbox = FolderPath.inbox

    static func strictSink(rejectMarker: String? = nil) -> InMemoryStore {
        var capabilities = StoreCapabilities()
        capabilities.requiredRepairs = RepairPolicy()
        return InMemoryStore(name: "memory:strict", capabilities: capabilities, rejectMarker: rejectMarker)
    }

    static let broken: [UInt8] = Array("Subject: caf\u{e9}\r\nMessage-ID: <b@x>\r\n\r\nnul\0 here\rand there".utf8)
    static let clean: [UInt8] = Array("Subject: fine\nMessage-ID: <c@x>\n\nplain\n".utf8)

    @Test("--repair=always: a sink that may refuse bytes gets repaired bytes; each repaired message is listed with what changed")
    func repairsForStrictSinks() async throws {
        let source = InMemoryStore(name: "memory:source")
        source.add([.init(bytes: Self.broken), .init(bytes: Self.clean)], to: Self.inbox)
        let sink = Self.strictSink()
        var options = CopyOptions()
        options.repairMode = .always  // the default before repair on refusal
        let report = await CopyEngine(source: source, sink: sink, options: options).run()
        #expect(report.outcome == .complete)
        let stored = sink.items(in: Self.inbox).map(\.bytes)
        #expect(stored.count == 2)
        #expect(stored[0] == MessageRepair.repair(Self.broken, policy: RepairPolicy()).bytes)
        #expect(!stored[0].contains(0) && stored[0].allSatisfy { $0 < 0x80 })
        #expect(stored[1] == Self.clean)  // nothing to repair: untouched
        #expect(report.totals.modified == 1)
        let modified = try #require(report.modified.first)
        #expect(modified.messageID == "<b@x>" && modified.message == 1)
        #expect(Set(modified.changes) == Set([RepairKind.nul, .bareCarriageReturn, .finalLineBreak, .eightBitHeader].map(\.summary)))
        #expect(report.text.contains("Modified on the way (1)"))
    }

    @Test("by default a sink that accepts the bytes gets them as they are; only what its wire cannot carry is repaired before sending")
    func repairOnlyWhatTheWireForbids() async throws {
        for (wire, expected) in [(Set<RepairKind>(), Self.broken), (Set([RepairKind.nul]), Array("Subject: caf\u{e9}\r\nMessage-ID: <b@x>\r\n\r\nnul here\rand there".utf8))] {
            let source = InMemoryStore()
            source.add([.init(bytes: Self.broken), .init(bytes: Self.clean)], to: Self.inbox)
            var capabilities = StoreCapabilities()
            capabilities.requiredRepairs = RepairPolicy()
            capabilities.wireRepairs = wire
            let sink = InMemoryStore(name: "memory:strict", capabilities: capabilities)
            let report = await CopyEngine(source: source, sink: sink, options: CopyOptions()).run()
            #expect(sink.items(in: Self.inbox).map(\.bytes) == [expected, Self.clean])
            #expect(report.totals.modified == (wire.isEmpty ? 0 : 1))
            #expect(report.modified.first.map { $0.changes == [RepairKind.nul.summary] && $0.refusal == nil } ?? wire.isEmpty)
        }
    }

    @Test("--no-repair, or a sink that keeps any bytes: the message is stored exactly as read")
    func noRepair() async throws {
        for (sink, repair) in [(Self.strictSink(), false), (InMemoryStore(name: "memory:files"), true)] {
            let source = InMemoryStore()
            source.add([.init(bytes: Self.broken)], to: Self.inbox)
            var options = CopyOptions()
            options.repair = repair
            let report = await CopyEngine(source: source, sink: sink, options: options).run()
            #expect(report.totals.modified == 0)
            #expect(sink.items(in: Self.inbox).map(\.bytes) == [Self.broken])
        }
    }

    @Test("a header is added only when asked, with the message's own line breaks and {folder} filled in")
    func headerAdd() async throws {
        let source = InMemoryStore()
        source.add([.init(bytes: Self.clean)], to: FolderPath(["Work"])!)
        let sink = InMemoryStore()
        var options = CopyOptions()
        options.transforms = [try HeaderAddTransform(fields: [("X-Migrated-From", "old.example.com/{folder}")])]
        let report = await CopyEngine(source: source, sink: sink, options: options).run()
        #expect(report.totals.modified == 1)
        #expect(sink.items(in: FolderPath(["Work"])!).map(\.bytes) == [Array("X-Migrated-From: old.example.com/Work\n".utf8) + Self.clean])
        #expect(throws: MailError.self) { try HeaderAddTransform(fields: [("Bad Name", "x")]) }
        #expect(throws: MailError.self) { try HeaderAddTransform(fields: [("X-Ok", "line\r\nInjected: yes")]) }
    }

    @Test("refused or oversize messages go to the quarantine with the reason, byte for byte; the others are stored")
    func quarantine() async throws {
        let directory = try TemporaryDirectory("quarantine")
        defer { directory.remove() }
        let big = Array("Subject: big\r\nMessage-ID: <big@x>\r\n\r\n".utf8) + Array(repeating: UInt8(ascii: "y"), count: 5000) + [0x0d, 0x0a]
        let refused = Array("Subject: no\nMessage-ID: <no@x>\n\nREJECT-ME\n".utf8)
        let source = InMemoryStore()
        source.add([.init(bytes: Self.clean), .init(bytes: big), .init(bytes: refused)], to: FolderPath(["Lists", "Old"])!)
        let sink = InMemoryStore(rejectMarker: "REJECT-ME")
        var options = CopyOptions()
        options.maximumMessageSize = 4096
        let quarantine = MaildirQuarantine(path: directory.file("q"))
        options.quarantine = quarantine
        let report = await CopyEngine(source: source, sink: sink, options: options).run()
        #expect(report.outcome == .partial)  // exit code 1
        #expect(report.totals.copied == 1 && report.totals.quarantined == 2 && report.totals.failed == 2)
        #expect(report.quarantine == directory.file("q"))
        let kept = report.quarantined.sorted { ($0.message ?? 0) < ($1.message ?? 0) }
        #expect(kept.map(\.messageID) == ["<big@x>", "<no@x>"])
        #expect(kept[0].reason.contains("at most 4096"))
        #expect(kept[1].reason.contains("rejected (test)"))
        // The files hold the source's exact bytes, under the folder they were meant for.
        #expect(try Data(contentsOf: URL(fileURLWithPath: kept[0].file)) == Data(big))
        #expect(try Data(contentsOf: URL(fileURLWithPath: kept[1].file)) == Data(refused))
        #expect(kept.allSatisfy { $0.file.hasPrefix(directory.file("q") + "/.Lists.Old/cur/") })
        let log = String(decoding: try directory.read("q/quarantine.jsonl"), as: UTF8.self).split(separator: "\n")
        #expect(log.count == 2)
        #expect(log[1].contains("\"reason\":\"rejected (test)\"") && log[1].contains("\"messageID\":\"<no@x>\""))
        #expect(report.text.contains("Quarantined (2, in \(directory.file("q"))):"))
        #expect(sink.items(in: FolderPath(["Lists", "Old"])!).map(\.bytes) == [Self.clean])
    }
}
