import MailCore
import Testing

@Suite("Connection failures in plain words")
struct ConnectionFailureTextTests {
    static let cases: [(String, String)] = [
        (
            "Connection errors: SingleConnectionFailure(target: [IPv4]127.0.0.1/127.0.0.1:1, error: connection reset (error set): Connection refused (errno: 111))",
            "refused"
        ),
        ("DNS error: NIOPosix.SocketAddressError.unknown(host: \"nowhere.invalid\", port: 993)", "could not be resolved"),
        ("connectTimeout(TimeAmount(nanoseconds: 10000000000))", "timed out"),
        (
            "Connection errors: SingleConnectionFailure(target: [IPv6]::1/::1:143, error: connect(descriptor:addr:size:): Network is unreachable (errno: 101))",
            "unreachable"
        ),
        (
            "Connection errors: SingleConnectionFailure(target: [IPv4]10.0.0.1/10.0.0.1:143, error: something new (errno: 99))",
            "something new (errno: 99)"
        ),
    ]

    @Test("the network library's descriptions become words, without its type names", arguments: cases)
    func plain(reason: String, expected: String) {
        let text = ConnectionFailureText.plain(reason)
        #expect(text.contains(expected), "\(text)")
        #expect(!text.contains("SingleConnectionFailure") && !text.contains("TimeAmount") && !text.contains("NIOPosix"), "\(text)")
    }

    @Test("other text is kept")
    func unknown() {
        #expect(ConnectionFailureText.plain("the server said goodbye") == "the server said goodbye")
    }
}
