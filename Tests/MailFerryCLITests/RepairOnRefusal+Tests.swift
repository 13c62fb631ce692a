import Foundation
import MailCore
import MailTesting
import Stores
import Testing

/// Repair on refusal through `mailferry copy`, against ``FakeIMAPServer`` refusing (`NO
/// [PARSE]`) messages with raw 8-bit header bytes: the exit code and report for a repaired
/// message, and a kill at every checkpoint step — including between the refusal and the
/// repaired message's re-send — never stores a message twice.
@Suite("Repair on refusal through the CLI (fake server)", .serialized)
struct RepairOnRefusalCLITests {
    static let environment = ["MAILFERRY_DEST_PASSWORD": "secret"]
    static let clean = Array("Subject: clean\nMessage-ID: <clean@t>\n\nnothing to repair\n".utf8)
    static let eightBit = Array("Subject: caf".utf8) + [0xe9] + Array("\nMessage-ID: <8bit@t>\n\nbody\n".utf8)

    static func server() throws -> FakeIMAPServer {
        var configuration = FakeIMAPServer.Configuration()
        configuration.refuseMessage = { bytes in
            let header = bytes.prefix { $0 != 0x0d }  // the first line is enough here
            return header.contains { $0 >= 0x80 } ? "[PARSE] Raw 8-bit header bytes are not accepted" : nil
        }
        return try FakeIMAPServer(configuration)
    }

    /// A Maildir INBOX holding the messages (by default the clean one and the 8-bit one).
    static func maildir(_ directory: TemporaryDirectory, _ messages: [[UInt8]] = [clean, eightBit]) throws -> String {
        let root = directory.file("Maildir")
        for sub in ["cur", "new", "tmp"] { try FileManager.default.createDirectory(atPath: "\(root)/\(sub)", withIntermediateDirectories: true) }
        for (index, bytes) in messages.enumerated() {
            try Data(bytes).write(to: URL(fileURLWithPath: "\(root)/cur/\(1_700_000_000 + index).M\(index)P1.test:2,S"))
        }
        return root
    }

    static func arguments(_ source: String, _ server: FakeIMAPServer, _ directory: TemporaryDirectory) -> [String] {
        [
            "copy", "maildir:\(source)", "imap://me@127.0.0.1:\(server.port)", "--allow-plaintext", "--json", "--quiet",
            "--checkpoint", directory.file("job.sqlite"), "--quarantine", directory.file("held"),
        ]
    }

    static let repaired = MessageRepair.repair(LineEndings.toCRLF(eightBit), policy: RepairPolicy()).bytes

    @Test("a refused message is repaired and sent again: exit 0, listed under modified with the server's words")
    func reportAndExitCode() async throws {
        let server = try Self.server()
        defer { server.stop() }
        let directory = try TemporaryDirectory("refusal-cli")
        defer { directory.remove() }
        let run = try await BuiltProducts.run(Self.arguments(try Self.maildir(directory), server, directory), environment: Self.environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let modified = report["modified"] as? [[String: Any]] ?? []
        #expect(modified.count == 1)
        #expect(modified.first?["messageID"] as? String == "<8bit@t>")
        #expect((modified.first?["refusal"] as? String)?.contains("Raw 8-bit header bytes are not accepted") == true, "\(modified)")
        #expect(Set(server.messages(in: "INBOX").map(\.bytes)) == [LineEndings.toCRLF(Self.clean), Self.repaired])
    }

    @Test("killed at every checkpoint step (the refusal and the re-send included), the resumed run stores each message once")
    func crashAtEveryStep() async throws {
        var sawRefusalStep = false
        var points: [String] = []
        for step in 1...20 {
            let server = try Self.server()
            defer { server.stop() }
            let directory = try TemporaryDirectory("refusal-crash")
            defer { directory.remove() }
            // One message, so that every run has the same steps (how a reader's messages fall
            // into batches depends on timing): in flight, store (refused), after-refusal, in
            // flight (repaired), store, done, folder.
            let arguments = Self.arguments(try Self.maildir(directory, [Self.eightBit]), server, directory)
            let crashed = try await BuiltProducts.run(
                arguments, environment: Self.environment.merging(["MAILFERRY_FAULT_INJECTION": "1", "MAILFERRY_CRASH_AT": String(step)]) { $1 })
            if crashed.status == 0 {
                #expect(step > 6, "the copy has \(step - 1) steps: \(points)")
                break
            }
            #expect(crashed.status == SIGKILL, "step \(step): \(crashed.stderr)")
            points.append(crashed.stderr.split(separator: "\n").first { $0.contains("killed at checkpoint step") }.map(String.init) ?? crashed.stderr)
            if crashed.stderr.contains("(after-refusal)") { sawRefusalStep = true }
            let resumed = try await BuiltProducts.run(arguments, environment: Self.environment)
            #expect(resumed.status == 0, "step \(step): \(resumed.stdout)\(resumed.stderr)")
            let stored = server.messages(in: "INBOX").map(\.bytes)
            #expect(stored == [Self.repaired], "step \(step): \(stored.count) messages stored")
        }
        #expect(sawRefusalStep, "\(points)")
    }

    @Test("a user profile's [repair] before_sending repairs before sending: nothing is refused, the report says why")
    func profileRepairsBeforeSending() async throws {
        let server = try Self.server()
        defer { server.stop() }
        let directory = try TemporaryDirectory("refusal-profile")
        defer { directory.remove() }
        let profiles = directory.file("config/mailferry/profiles")
        try FileManager.default.createDirectory(atPath: profiles, withIntermediateDirectories: true)
        try Data(
            """
            name = "strict-test"
            display_name = "Strict (test)"
            notes = "A test profile: declares that the server refuses raw 8-bit header bytes (source: this test)."
            [imap]
            host = "127.0.0.1"
            port = \(server.port)
            security = "none"
            [repair]
            before_sending = ["8bit-header"]
            """.utf8
        ).write(to: URL(fileURLWithPath: "\(profiles)/strict-test.toml"))
        let run = try await BuiltProducts.run(
            Self.arguments(try Self.maildir(directory), server, directory) + ["--dest-profile", "strict-test"],
            environment: Self.environment.merging(["XDG_CONFIG_HOME": directory.file("config")]) { $1 })
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let modified = report["modified"] as? [[String: Any]] ?? []
        #expect(modified.count == 1 && modified.first?["refusal"] == nil, "\(modified)")
        #expect((report["notes"] as? [String] ?? []).contains { $0.contains("repaired before sending") && $0.contains("8bit-header") })
        // Nothing refused: one MULTIAPPEND or one APPEND per message (a refusal would add the re-send).
        #expect(server.log.filter { $0.line.contains(" APPEND ") }.count <= 2, "\(server.log.map(\.line))")
        #expect(Set(server.messages(in: "INBOX").map(\.bytes)) == [LineEndings.toCRLF(Self.clean), Self.repaired])
    }
}
