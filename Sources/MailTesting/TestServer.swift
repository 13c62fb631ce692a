import Foundation

/// The private Dovecot that `scripts/test-server.sh` starts, as the environment describes it.
/// Integration tests are enabled only when it is there (`scripts/test.sh` always starts it).
public struct TestServer: Sendable {
    public var host: String
    public var imapPort: Int
    public var imapsPort: Int
    public var pop3Port: Int
    public var pop3sPort: Int
    public var caFile: String
    public var otherCAFile: String
    public var password: String
    public var users: [String]
    public var dovecotConfiguration: String?

    /// The server from `MAILFERRY_TEST_*` variables, or `nil` when they are not set.
    public static let current: TestServer? = {
        let environment = ProcessInfo.processInfo.environment
        guard let host = environment["MAILFERRY_TEST_IMAP_HOST"], let imap = environment["MAILFERRY_TEST_IMAP_PORT"].flatMap(Int.init),
            let imaps = environment["MAILFERRY_TEST_IMAPS_PORT"].flatMap(Int.init), let ca = environment["MAILFERRY_TEST_CA_FILE"],
            let password = environment["MAILFERRY_TEST_PASSWORD"]
        else { return nil }
        return TestServer(
            host: host, imapPort: imap, imapsPort: imaps,
            pop3Port: environment["MAILFERRY_TEST_POP3_PORT"].flatMap(Int.init) ?? 0,
            pop3sPort: environment["MAILFERRY_TEST_POP3S_PORT"].flatMap(Int.init) ?? 0, caFile: ca,
            otherCAFile: environment["MAILFERRY_TEST_OTHER_CA_FILE"] ?? "", password: password,
            users: (environment["MAILFERRY_TEST_USERS"] ?? "").split(separator: " ").map(String.init),
            dovecotConfiguration: environment["MAILFERRY_TEST_DOVECOT_CONF"])
    }()

    public static var isAvailable: Bool { current != nil }

    /// Why integration tests are skipped, for the test report.
    public static let skipReason: Comment =
        "no test IMAP server: run scripts/test.sh (it starts one) or source `scripts/test-server.sh env` after `scripts/test-server.sh start`"

    /// Empties a user's mailbox on the server (all folders), so a test starts clean.
    public func reset(user: String) throws {
        guard let mailDirectory = maildir(of: user) else { return }
        try? FileManager.default.removeItem(atPath: mailDirectory)
    }

    /// Deletes one folder behind the server's back (`.Name` in Maildir++), as deleting it with a
    /// mail client would; the quota's usage cache goes too, so Dovecot counts again. Creating the
    /// folder afterwards gives it a new UIDVALIDITY.
    public func deleteFolder(user: String, maildirName: String) throws {
        guard let mailDirectory = maildir(of: user) else { return }
        try FileManager.default.removeItem(atPath: "\(mailDirectory)/\(maildirName)")
        try? FileManager.default.removeItem(atPath: "\(mailDirectory)/maildirsize")
    }

    private func maildir(of user: String) -> String? {
        guard let configuration = dovecotConfiguration else { return nil }
        return (configuration as NSString).deletingLastPathComponent + "/../mail/\(user)/Maildir"
    }
}

import Testing
