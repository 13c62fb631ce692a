import Checkpoints
import Engine
import Foundation
import MailCore
import MailTesting
import Stores
import Testing

/// Repair on refusal against ``FakeIMAPServer``, which refuses (`NO [PARSE]`) an APPEND whose
/// message has raw 8-bit header bytes, as strict servers do: messages go byte for byte, one the
/// server refuses is repaired (only what it needs), sent once more and listed as modified with
/// the server's words; what is still refused goes to the quarantine.
@Suite("Repair on refusal (fake server)", .serialized)
struct RepairOnRefusalTests {
    static let date = Date(timeIntervalSince1970: 1_709_543_702)
    static let clean = Array("Subject: clean\r\nMessage-ID: <clean@t>\r\n\r\nnothing to repair\r\n".utf8)
    /// Raw UTF-8 and Latin-1 header bytes, and no final CRLF.
    static let eightBit = Array("Subject: Gr\u{00FC}\u{00DF}e\r\nFrom: J\u{00F6}rg <j@t>\r\nX-Latin1: caf".utf8) + [0xe9]
        + Array("\r\nMessage-ID: <8bit@t>\r\n\r\nno final CRLF".utf8)
    static let withNUL = Array("Subject: nul\r\nMessage-ID: <nul@t>\r\n\r\nbefore\0after\r\n".utf8)
    static let parse = "[PARSE] Message has raw 8-bit bytes in its header"

    /// Whether the header section holds a byte over 0x7F.
    static func eightBitHeader(_ bytes: [UInt8]) -> Bool {
        var index = 0
        while index + 3 < bytes.count, !(bytes[index] == 0x0d && bytes[index + 1] == 0x0a && bytes[index + 2] == 0x0d && bytes[index + 3] == 0x0a) {
            if bytes[index] >= 0x80 { return true }
            index += 1
        }
        return false
    }

    static func server(binary: Bool = false, refuse: (@Sendable ([UInt8]) -> String?)? = nil) throws -> FakeIMAPServer {
        var configuration = FakeIMAPServer.Configuration()
        if binary { configuration.capabilities.append("BINARY") }
        configuration.refuseMessage = refuse ?? { Self.eightBitHeader($0) ? Self.parse : nil }
        return try FakeIMAPServer(configuration)
    }

    static func source(_ messages: [[UInt8]]) -> InMemoryStore {
        let store = InMemoryStore(name: "memory:source")
        store.add(messages.map { InMemoryStore.StoredItem(bytes: $0, flags: FlagSet([.seen]), internalDate: date) }, to: .inbox)
        return store
    }

    /// One copy into the fake server's INBOX with a checkpoint (and a quarantine) in `directory`.
    static func copy(
        _ messages: [[UInt8]], into server: FakeIMAPServer, directory: TemporaryDirectory, mode: RepairMode = .onRefusal
    ) async throws -> CopyReport {
        let sink = try await StoreFactory.openSink(try FakeGmailTests.endpoint(server), options: FakeGmailTests.options())
        let checkpoint = try SQLiteCheckpointStore(
            path: directory.file("job.sqlite"), identity: JobIdentity(source: "memory:source", destination: "fake"))
        var options = CopyOptions()
        options.repairMode = mode
        options.quarantine = MaildirQuarantine(path: directory.file("held"))
        let report = await CopyEngine(source: source(messages), sink: sink, options: options, checkpoint: checkpoint).run()
        await checkpoint.close()
        try? await sink.close()
        return report
    }

    static func appends(_ server: FakeIMAPServer) -> Int { server.log.filter { $0.line.contains(" APPEND ") }.count }

    @Test("a refused message is repaired as little as it needs, sent once more, stored once and listed with the server's words")
    func refusedThenRepaired() async throws {
        let server = try Self.server()
        defer { server.stop() }
        let directory = try TemporaryDirectory("repair-refusal")
        defer { directory.remove() }
        let report = try await Self.copy([Self.clean, Self.eightBit], into: server, directory: directory)
        #expect(report.outcome == .complete, "\(report.text)")
        #expect(report.totals.copied == 2 && report.totals.failed == 0 && report.totals.quarantined == 0)
        let stored = server.messages(in: "INBOX").map(\.bytes)
        #expect(stored.count == 2)
        #expect(stored.contains(Self.clean))  // the accepted message went byte for byte
        let repaired = MessageRepair.repair(Self.eightBit, policy: RepairPolicy()).bytes
        #expect(stored.contains(repaired))
        #expect(!stored.contains(where: Self.eightBitHeader))
        #expect(report.modified.count == 1)
        let entry = try #require(report.modified.first)
        #expect(entry.messageID == "<8bit@t>")
        #expect(entry.refusal?.contains("Message has raw 8-bit bytes in its header") == true, "\(entry)")
        #expect(entry.changes.contains(RepairKind.eightBitHeader.summary))
        #expect(entry.changes.contains(RepairKind.finalLineBreak.summary))
        #expect(report.text.contains("refused as it was: the server refused the message: Message has raw 8-bit bytes"), "\(report.text)")
        // One MULTIAPPEND (refused whole), then one message at a time, then the repair — or, when
        // the reader handed the messages over in two batches, two single APPENDs and the repair.
        #expect((3...4).contains(Self.appends(server)), "\(server.log.map(\.line))")
        // The checkpoint: both done, with the source's fingerprints (what reruns compare with).
        let checkpoint = try SQLiteCheckpointStore(
            path: directory.file("job.sqlite"), identity: JobIdentity(source: "memory:source", destination: "fake"))
        let folder = try await checkpoint.folder(source: .inbox, destination: .inbox)
        await checkpoint.close()
        #expect(folder.done.count == 2 && folder.inFlight.isEmpty && folder.failed.isEmpty)
        #expect(Set(folder.done.values.map(\.fingerprint)) == [Fingerprint.of(Self.clean), Fingerprint.of(Self.eightBit)])
        // A rerun sends nothing again.
        let again = try await Self.copy([Self.clean, Self.eightBit], into: server, directory: directory)
        #expect(again.totals.copied == 0 && server.messages(in: "INBOX").count == 2)
    }

    @Test("a message still refused after its repair, or with nothing to repair, goes to the quarantine with the server's words")
    func stillRefusedIsQuarantined() async throws {
        let server = try Self.server(refuse: { bytes in
            if String(decoding: bytes, as: UTF8.self).contains("X-Poison") { return "[PARSE] Poisoned" }
            return Self.eightBitHeader(bytes) ? Self.parse : nil
        })
        defer { server.stop() }
        let directory = try TemporaryDirectory("repair-still-refused")
        defer { directory.remove() }
        let poisoned8Bit = Array("Subject: \u{00E9}t\u{00E9}\r\nX-Poison: yes\r\nMessage-ID: <p1@t>\r\n\r\nbody\r\n".utf8)
        let poisoned = Array("Subject: plain\r\nX-Poison: yes\r\nMessage-ID: <p2@t>\r\n\r\nbody\r\n".utf8)
        let report = try await Self.copy([poisoned8Bit, poisoned], into: server, directory: directory)
        #expect(report.totals.copied == 0 && report.totals.quarantined == 2 && report.totals.modified == 0, "\(report.text)")
        #expect(report.outcome == .partial)
        #expect(server.messages(in: "INBOX").isEmpty)
        let reasons = report.quarantined.map(\.reason)
        #expect(reasons.contains { $0.contains("Poisoned") && $0.contains("after repair: 8-bit header bytes encoded") }, "\(reasons)")
        #expect(reasons.contains { $0.contains("Poisoned") && !$0.contains("after repair") }, "\(reasons)")
        // (MULTIAPPEND,) two single APPENDs, one repaired APPEND of the 8-bit message.
        #expect((3...4).contains(Self.appends(server)), "\(server.log.map(\.line))")
        // The quarantine keeps the source's bytes, not the repaired ones.
        let log = String(decoding: try directory.read("held/quarantine.jsonl"), as: UTF8.self)
        #expect(log.split(separator: "\n").count == 2)
    }

    @Test("--repair=never: a refused message is quarantined as it is, never repaired")
    func neverRepairs() async throws {
        let server = try Self.server()
        defer { server.stop() }
        let directory = try TemporaryDirectory("repair-never")
        defer { directory.remove() }
        let report = try await Self.copy([Self.clean, Self.eightBit], into: server, directory: directory, mode: .never)
        #expect(report.totals.copied == 1 && report.totals.quarantined == 1 && report.modified.isEmpty, "\(report.text)")
        #expect(server.messages(in: "INBOX").map(\.bytes) == [Self.clean])
    }

    @Test("--repair=always repairs every message that needs it before sending, as the old default did")
    func alwaysRepairsBeforeSending() async throws {
        let server = try Self.server()
        defer { server.stop() }
        let directory = try TemporaryDirectory("repair-always")
        defer { directory.remove() }
        let report = try await Self.copy([Self.clean, Self.eightBit], into: server, directory: directory, mode: .always)
        #expect(report.totals.copied == 2 && report.modified.count == 1, "\(report.text)")
        #expect(report.modified.first?.refusal == nil)
        #expect((1...2).contains(Self.appends(server)))  // one MULTIAPPEND (or one APPEND each), nothing refused
        #expect(Set(server.messages(in: "INBOX").map(\.bytes)) == [Self.clean, MessageRepair.repair(Self.eightBit, policy: RepairPolicy()).bytes])
    }

    @Test("a size refusal is not repaired: the message goes straight to the quarantine")
    func sizeRefusalNotRepaired() async throws {
        let server = try Self.server(refuse: { Self.eightBitHeader($0) ? "[TOOBIG] Message too big" : nil })
        defer { server.stop() }
        let directory = try TemporaryDirectory("repair-size")
        defer { directory.remove() }
        let report = try await Self.copy([Self.eightBit], into: server, directory: directory)
        #expect(report.totals.quarantined == 1 && report.modified.isEmpty, "\(report.text)")
        #expect(Self.appends(server) == 1)
    }

    @Test("NUL without BINARY is removed before sending (the wire cannot carry it); with BINARY it goes as literal8, unchanged")
    func nulAndBinary() async throws {
        let directory = try TemporaryDirectory("repair-nul")
        defer { directory.remove() }
        let plain = try Self.server()
        defer { plain.stop() }
        let report = try await Self.copy([Self.withNUL, Self.clean], into: plain, directory: directory)
        #expect(report.totals.copied == 2 && report.modified.count == 1, "\(report.text)")
        #expect(report.modified.first?.changes == [RepairKind.nul.summary])
        #expect(report.modified.first?.refusal == nil)
        #expect(Set(plain.messages(in: "INBOX").map(\.bytes)) == [Array("Subject: nul\r\nMessage-ID: <nul@t>\r\n\r\nbeforeafter\r\n".utf8), Self.clean])
        #expect(!plain.log.contains { $0.line.contains("~{") })

        // With BINARY the sink needs no NUL repair: such a message goes as literal8 (~{n}),
        // unchanged (the fake does not parse literal8; Dovecot takes it in RepairCLITests).
        for (server, expected) in [(try Self.server(binary: true), Set<RepairKind>()), (plain, Set([RepairKind.nul]))] {
            let sink = try await StoreFactory.openSink(try FakeGmailTests.endpoint(server), options: FakeGmailTests.options())
            #expect(sink.capabilities.wireRepairs == expected)
            try? await sink.close()
            if expected.isEmpty { server.stop() }
        }
    }
}
