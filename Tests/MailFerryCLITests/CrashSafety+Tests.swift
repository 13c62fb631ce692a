import Foundation
import MailCore
import MailFormats
import MailTesting
import Testing

@Suite("Crash safety")
struct CrashSafetyTests {
    /// Kills `mailferry copy` with SIGKILL at different moments of delivering large messages and
    /// checks that every file in cur/ and new/ is a complete message; partial data may only be in tmp/.
    @Test("a writer killed mid-delivery leaves nothing partial outside tmp/")
    func killMidDelivery() async throws {
        let directory = try TemporaryDirectory("crash")
        defer { directory.remove() }
        // Large messages (written in many chunks) make a kill during a write likely.
        let appender = try MboxAppender(path: directory.file("big.mbox"), compressed: false)
        var expected = Set<Fingerprint>()
        for index in 0..<24 {
            let line = "line \(index) " + String(repeating: "abcdefghij", count: 7) + "\n"
            let bytes = Array(("Subject: big \(index)\nMessage-ID: <big\(index)@test>\n\n" + String(repeating: line, count: 40_000)).utf8)
            expected.insert(Fingerprint.of(bytes))
            try appender.append(MessageData(bytes), flags: FlagSet([.seen]), internalDate: nil, sender: nil, defaultDate: Date())
        }
        try appender.commit()
        appender.close()
        let binary = try #require(BuiltProducts.mailferry())

        var interrupted = 0
        for (attempt, delay) in [0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8].enumerated() {
            let target = directory.file("out\(attempt)")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["copy", "mbox:\(directory.file("big.mbox"))", "maildir:\(target)", "--quiet", "--no-checkpoint"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // The delay counts from the moment the Maildir exists, so a slow start on a loaded
            // machine does not make every kill land before the first delivery (bounded: 20 s).
            let deadline = Date().addingTimeInterval(20)
            while !FileManager.default.fileExists(atPath: "\(target)/cur") && process.isRunning && Date() < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            kill(process.processIdentifier, SIGKILL)
            await BuiltProducts.waitForExit(process)
            guard FileManager.default.fileExists(atPath: "\(target)/cur") else { continue }
            var complete = 0
            for subdirectory in ["cur", "new"] {
                for name in try FileManager.default.contentsOfDirectory(atPath: "\(target)/\(subdirectory)") {
                    let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: "\(target)/\(subdirectory)/\(name)")))
                    #expect(expected.contains(Fingerprint.of(bytes)), "partial file \(subdirectory)/\(name) after a kill at \(delay) s")
                    #expect(MaildirFileName(parsing: name).size == bytes.count)
                    complete += 1
                }
            }
            if process.terminationReason == .uncaughtSignal && complete < expected.count { interrupted += 1 }
        }
        #expect(interrupted > 0, "no kill landed before the copy finished; the test proved nothing")
    }
    /// SIGTERM (or SIGINT) while `copy` appends to an mbox: the process ends by the signal, and
    /// its `.lock` does not outlive it (mutt and procmail would otherwise wait for it).
    @Test("a copy into an mbox ended by SIGTERM or SIGINT removes its dotlock", arguments: [SIGTERM, SIGINT])
    func signalRemovesDotLock(signal: Int32) async throws {
        let directory = try TemporaryDirectory("crash-lock")
        defer { directory.remove() }
        let appender = try MboxAppender(path: directory.file("big.mbox"), compressed: false)
        for index in 0..<24 {
            let line = "line \(index) " + String(repeating: "abcdefghij", count: 7) + "\n"
            let bytes = Array(("Subject: big \(index)\nMessage-ID: <big\(index)@test>\n\n" + String(repeating: line, count: 30_000)).utf8)
            try appender.append(MessageData(bytes), flags: FlagSet([.seen]), internalDate: nil, sender: nil, defaultDate: Date())
        }
        try appender.commit()
        appender.close()
        let binary = try #require(BuiltProducts.mailferry())
        var interrupted = 0
        for attempt in 0..<4 where interrupted == 0 {
            let target = directory.file("out\(attempt).mbox")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["copy", "mbox:\(directory.file("big.mbox"))", "mbox:\(target)", "--quiet", "--no-checkpoint"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(20)
            while !FileManager.default.fileExists(atPath: target + ".lock") && process.isRunning && Date() < deadline {
                try await Task.sleep(for: .milliseconds(2))
            }
            kill(process.processIdentifier, signal)
            await BuiltProducts.waitForExit(process)
            guard process.terminationReason == .uncaughtSignal else { continue }
            interrupted += 1
            #expect(process.terminationStatus == signal)
            #expect(!FileManager.default.fileExists(atPath: target + ".lock"), "the dotlock outlived the process")
        }
        #expect(interrupted > 0, "no signal landed while the copy held its lock; the test proved nothing")
    }
}
