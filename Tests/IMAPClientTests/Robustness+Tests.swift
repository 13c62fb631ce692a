import Foundation
@testable import IMAPClient
import IMAPCore
import MailCore
import MailTesting
import Testing

@Suite("IMAP connection robustness (scripted server)")
struct RobustnessTests {
    func configuration(port: Int) -> IMAPConfiguration {
        var configuration = IMAPConfiguration(
            host: "127.0.0.1", port: port, security: .plaintext, username: "me", secret: .password({ "secret-password" }))
        configuration.allowPlaintextAuthentication = true
        configuration.responseTimeout = 30
        configuration.connectTimeout = 5
        return configuration
    }

    func commands(_ server: ScriptedServer) -> [String] {
        server.received.map { line in
            let words = line.split(separator: " ")
            return words.count > 1 ? words[1...].prefix(2).joined(separator: " ").uppercased() : line
        }
    }

    @Test("a FETCH stream whose consumer is gone does not pause the connection's reading")
    func droppedIsNotPause() {
        let stream = FetchStream(resume: {})
        stream.finish()
        let sink = FetchSink(stream: stream, tag: "M1")
        #expect(sink.receive(.bodyEnd))
    }
}
