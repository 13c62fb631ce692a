import IMAPClient
import IMAPCore
import Testing

@Suite("Server back-off texts")
struct ServerBackoffTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var code: ResponseCode?
        var text: String
        var kind: ServerBackoff.Kind?
        var delay: Double?
        var testDescription: String { text }
    }

    static let cases: [Case] = [
        Case(code: .unavailable, text: "Request is throttled. Suggested Backoff Time: 300 milliseconds", kind: .slowDown, delay: 0.3),
        Case(code: nil, text: "User is throttled. suggested backoff time: 12000 milliseconds", kind: .slowDown, delay: 12),
        Case(code: .unavailable, text: "Server Unavailable. 15", kind: .slowDown, delay: nil),
        Case(code: .alert, text: "Too many simultaneous connections. (Failure)", kind: .tooManyConnections, delay: nil),
        Case(code: nil, text: "the server said BYE: Session expired, please login again.", kind: .sessionExpired, delay: nil),
        Case(code: .alert, text: "Account exceeded command or bandwidth limits. (Failure)", kind: .budgetExhausted, delay: nil),
        Case(code: .limit, text: "Too many commands, slow down", kind: .slowDown, delay: nil),
        // Not back-offs: a size limit, a plain refusal, a normal BYE.
        Case(code: .limit, text: "Mail size is larger than the maximum size allowed", kind: nil, delay: nil),
        Case(code: nil, text: "Invalid folder name", kind: nil, delay: nil),
        Case(code: .overQuota, text: "Quota exceeded (mailbox for user is full)", kind: nil, delay: nil),
        Case(code: nil, text: "Suggested Backoff Time: lots milliseconds", kind: nil, delay: nil),
    ]

    @Test("provider texts are recognised, with the suggested delay when given", arguments: cases)
    func recognises(_ test: Case) {
        let backoff = ServerBackoff.recognise(code: test.code, text: test.text)
        #expect(backoff?.kind == test.kind)
        #expect(backoff?.suggestedDelay == test.delay)
    }

    @Test("errors carry the back-off of their text; only counted-connection ones lower the connection count")
    func errors() {
        let bye = IMAPError.connectionClosed(reason: "the server said BYE: Session expired, please login again.")
        #expect(bye.backoff?.kind == .sessionExpired && bye.backoff?.reducesConnections == true)
        let login = IMAPError.authenticationFailed(text: "Too many simultaneous connections. (Failure)")
        #expect(login.backoff?.kind == .tooManyConnections)
        let slow = IMAPError.commandFailed(
            command: "APPEND", status: .no, text: ResponseText(code: .unavailable, text: "Suggested Backoff Time: 50 milliseconds"))
        #expect(slow.backoff?.suggestedDelay == 0.05 && slow.backoff?.reducesConnections == false)
        #expect(IMAPError.connectionClosed(reason: "the network connection closed").backoff == nil)
        #expect(IMAPError.authenticationFailed(text: "Invalid credentials").backoff == nil)
    }
}
