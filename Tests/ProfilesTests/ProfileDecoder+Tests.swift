import ProviderProfiles
import Testing

@Suite struct ProfileDecoderTests {
    static let complete = """
        name = "example"
        display_name = "Example Mail"
        domains = ["example.com", "example.net"]
        notes = "Use an app password."

        [imap]
        host = "imap.example.com"
        port = 993
        security = "tls"
        auth = ["xoauth2", "plain", "cram-md5"]
        max_connections = 10

        [pop3]
        host = "pop.example.com"
        port = 110
        security = "starttls"

        [folders]
        special = { sent = "Sent Items", junk = "Junk E-mail", all = "All" }
        skip = ["All"]
        reserved = ["Files"]
        separator = "."
        labels = true

        [limits]
        max_message_size = 26214400
        daily_download_bytes = 1000
        daily_upload_bytes = 500
        message_limit = 1000

        [throttle]
        backoff_patterns = ['Suggested Backoff Time: (\\d+) milliseconds']
        """

    @Test func decodesEveryField() throws {
        let profile = try ProfileDecoder().decode(Self.complete, file: "example.toml")
        #expect(
            profile
                == ProviderProfile(
                    name: "example", displayName: "Example Mail", domains: ["example.com", "example.net"],
                    notes: "Use an app password.",
                    imap: ServerEndpoint(
                        host: "imap.example.com", port: 993, security: .tls, auth: [.xoauth2, .plain, .cramMD5], maxConnections: 10),
                    pop3: ServerEndpoint(host: "pop.example.com", port: 110, security: .starttls),
                    folders: FolderHints(
                        special: [.sent: "Sent Items", .junk: "Junk E-mail", .all: "All"], skip: ["All"], reserved: ["Files"],
                        separator: ".", labels: true),
                    limits: ProviderLimits(maxMessageSize: 26_214_400, dailyDownloadBytes: 1000, dailyUploadBytes: 500, messageLimit: 1000),
                    throttle: ThrottleHints(backoffPatterns: [#"Suggested Backoff Time: (\d+) milliseconds"#])))
    }

    @Test func optionalSectionsDefault() throws {
        let profile = try ProfileDecoder().decode(
            "name = \"dovecot\"\ndisplay_name = \"Dovecot\"\n[imap]\nhost = \"\"\nport = 143\nsecurity = \"starttls\"", file: "d.toml")
        #expect(profile.imap?.takesHostFromURL == true)
        #expect(profile.imap?.auth == [])
        #expect(profile.pop3 == nil)
        #expect(profile.folders == FolderHints())
        #expect(profile.limits == ProviderLimits())
        #expect(profile.notes == nil)
    }

    /// Replaces one line of the complete profile and expects an error at `line:column`.
    @Test(arguments: [
        ("host = \"imap.example.com\"", "hots = \"imap.example.com\"", 7, 1, "unknown key `hots` in [imap]; did you mean `host`?"),
        ("notes = \"Use an app password.\"", "note = \"x\"", 4, 1, "unknown key `note` at the top level; did you mean `notes`?"),
        ("labels = true", "gmail_labels = true", 23, 1, "unknown key `gmail_labels` in [folders]"),
        ("message_limit = 1000", "messages = 1", 29, 1, "unknown key `messages` in [limits]"),
        ("port = 993", "", 6, 1, "missing required key `port` in [imap]"),
        ("security = \"starttls\"", "", 13, 1, "missing required key `security` in [pop3]"),
        ("name = \"example\"", "", 1, 1, "missing required key `name`"),
        ("display_name = \"Example Mail\"", "", 1, 1, "missing required key `display_name`"),
        ("port = 993", "port = \"993\"", 8, 8, "`port` in [imap] must be an integer, found a string"),
        ("port = 993", "port = 99999", 8, 8, "between 1 and 65535"),
        ("labels = true", "labels = \"yes\"", 23, 10, "must be `true` or `false`"),
        ("domains = [\"example.com\", \"example.net\"]", "domains = \"example.com\"", 3, 11, "must be an array of strings"),
        ("domains = [\"example.com\", \"example.net\"]", "domains = [\"example.com\", 5]", 3, 27, "must hold only strings, found an integer"),
        ("domains = [\"example.com\", \"example.net\"]", "domains = [\"Example.COM\"]", 3, 12, "lower-case domain names"),
        ("name = \"example\"", "name = \"Ex ample\"", 1, 8, "lower-case letters, digits and `-`"),
        ("security = \"tls\"", "security = \"ssl\"", 9, 12, "must be one of \"tls\", \"starttls\", \"none\""),
        ("auth = [\"xoauth2\", \"plain\", \"cram-md5\"]", "auth = [\"xoauth2\", \"gssapi\"]", 10, 20, "unknown mechanism \"gssapi\""),
        ("auth = [\"xoauth2\", \"plain\", \"cram-md5\"]", "auth = [\"plain\", \"plain\"]", 10, 18, "lists \"plain\" twice"),
        ("host = \"imap.example.com\"", "host = \"imaps://imap.example.com\"", 7, 8, "bare host name"),
        ("max_connections = 10", "max_connections = 0", 11, 19, "between 1 and 1000"),
        ("separator = \".\"", "separator = \"::\"", 22, 13, "one character"),
        ("special = { sent = \"Sent Items\", junk = \"Junk E-mail\", all = \"All\" }", "special = { outbox = \"Outbox\" }", 19, 13, "unknown key `outbox` in [folders.special]"),
        ("backoff_patterns = ['Suggested Backoff Time: (\\d+) milliseconds']", "backoff_patterns = ['(unclosed']", 32, 21, "not a valid regular expression"),
        ("max_message_size = 26214400", "max_message_size = -1", 26, 20, "between 1 and"),
        ("port = 993", "port = 993 port = 994", 8, 12, "unexpected text"),
    ])
    func rejects(original: String, replacement: String, line: Int, column: Int, message: String) throws {
        let input = Self.complete.replacingOccurrences(of: original, with: replacement)
        try #require(input != Self.complete, "the replacement did not apply")
        #expect {
            try ProfileDecoder().decode(input, file: "profiles/example.toml")
        } throws: { error in
            guard let error = error as? ProfileError else { return false }
            #expect(error.file == "profiles/example.toml")
            #expect((error.line, error.column) == (line, column), "\(error)")
            #expect(error.message.contains(message), "\(error)")
            return true
        }
    }

    @Test func aProfileNeedsAServer() {
        #expect(throws: ProfileError(file: "x.toml", line: 1, column: 1, message: "a profile needs an [imap] or a [pop3] section (or both)")) {
            try ProfileDecoder().decode("name = \"x\"\ndisplay_name = \"X\"", file: "x.toml")
        }
    }

    @Test func diagnosticIsCompilerStyle() {
        let error = ProfileError(file: "profiles/gmail.toml", line: 12, column: 1, message: "unknown key `hots` in [imap]")
        #expect(error.diagnostic == "profiles/gmail.toml:12:1: error: unknown key `hots` in [imap]")
        #expect(error.description == "profiles/gmail.toml:12:1: unknown key `hots` in [imap]")
    }
}

extension ProfileDecoderTests {
    static let withRepair = """
        name = "strict"
        display_name = "Strict"
        notes = "Replaces raw 8-bit header bytes with '?' (source: the provider's help page, example)."
        [imap]
        host = "imap.strict.example"
        port = 993
        security = "tls"
        [repair]
        before_sending = ["8bit-header", "long-header-line"]
        """

    @Test func repairsBeforeSending() throws {
        let profile = try ProfileDecoder().decode(Self.withRepair, file: "strict.toml")
        #expect(profile.repair == RepairHints(beforeSending: ["8bit-header", "long-header-line"]))
        // Built-ins are compiled from Swift source: the key survives that too.
        #expect(ProfileSwiftSource.render([profile]).contains(#"repair: RepairHints(beforeSending: ["8bit-header", "long-header-line"])"#))
        #expect(!ProfileSwiftSource.render([try ProfileDecoder().decode(Self.complete, file: "e.toml")]).contains("repair:"))
    }

    @Test(arguments: [
        ("before_sending = [\"8bit-header\", \"long-header-line\"]", "before_sending = [\"utf8\"]", 9, 19, "must be one of"),
        ("before_sending = [\"8bit-header\", \"long-header-line\"]", "before_sending = [\"nul\", \"nul\"]", 9, 26, "twice"),
        ("before_sending = [\"8bit-header\", \"long-header-line\"]", "mangles = true", 9, 1, "unknown key `mangles` in [repair]"),
        ("notes = \"Replaces raw 8-bit header bytes with '?' (source: the provider's help page, example).\"", "", 8, 1, "source in `notes`"),
    ])
    func rejectsRepair(original: String, replacement: String, line: Int, column: Int, message: String) throws {
        let input = Self.withRepair.replacingOccurrences(of: original, with: replacement)
        try #require(input != Self.withRepair)
        #expect {
            try ProfileDecoder().decode(input, file: "strict.toml")
        } throws: { error in
            guard let error = error as? ProfileError else { return false }
            #expect((error.line, error.column) == (line, column), "\(error)")
            #expect(error.message.contains(message), "\(error)")
            return true
        }
    }
}
