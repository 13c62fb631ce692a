import Foundation

extension FakeIMAPServer {
    /// A mailbox the server starts with.
    public struct MailboxSeed: Sendable, Hashable {
        public var name: String
        /// RFC 6154 attribute such as `\Sent`, `\All`, `\Trash`.
        public var specialUse: String?
        public var subscribed: Bool
        /// `false` for a `\Noselect` container such as Gmail's `[Gmail]`.
        public var selectable: Bool

        public init(_ name: String, specialUse: String? = nil, subscribed: Bool = true, selectable: Bool = true) {
            self.name = name
            self.specialUse = specialUse
            self.subscribed = subscribed
            self.selectable = selectable
        }
    }

    /// What a connection beyond ``Configuration/maximumConnections`` gets.
    public enum TooManyConnections: Sendable, Hashable {
        /// The greeting is `* BYE text` and the connection closes.
        case byeGreeting(String)
        /// The greeting is normal; LOGIN and AUTHENTICATE are answered `{tag} text`
        /// (e.g. Gmail's `NO [ALERT] Too many simultaneous connections. (Failure)`).
        case refuseLogin(String)
    }

    /// How the server behaves. Start from ``init()`` (a Dovecot-like server), ``gmail()`` or
    /// ``office365()`` and adjust.
    public struct Configuration: Sendable {
        /// The CAPABILITY list, in order.
        public var capabilities: [String]
        /// The greeting's text after `* OK ` (without a CAPABILITY code).
        public var greeting: String
        /// Whether the greeting carries `[CAPABILITY …]` (Dovecot does; Gmail and Outlook do not).
        public var capabilitiesInGreeting: Bool
        /// Accepted user → password; `nil` accepts any user and password.
        public var credentials: [String: String]?
        /// Gmail's model: one copy per message in All Mail, label mailboxes as views, X-GM-*.
        public var gmail: Bool
        /// The mailboxes the server starts with (INBOX is always there).
        public var mailboxes: [MailboxSeed]
        /// Names CREATE refuses, with the tagged answer after the tag (e.g. `NO Folder name is reserved.`).
        public var refusedMailboxNames: [String: String]
        /// Connections open at once beyond which ``tooManyConnections`` applies; `nil` is unlimited.
        public var maximumConnections: Int?
        public var tooManyConnections: TooManyConnections
        /// Called for every command; see ``Interception``.
        public var intercept: (@Sendable (Request) -> Interception?)?
        /// PERMANENTFLAGS of every mailbox.
        public var permanentFlags: [String]
        /// The first mailbox's UIDVALIDITY; later mailboxes count up from it.
        public var firstUIDValidity: UInt32
        /// Longest command line accepted (without literals), in bytes.
        public var maximumLineLength: Int
        /// Largest literal accepted, in bytes.
        public var maximumLiteralSize: Int
        /// Seconds without a byte from the client before the server says BYE (autologout).
        public var idleTimeout: Double
        /// Seconds after which the server stops accepting connections, however used.
        public var lifetime: Double
        /// Most messages one FETCH, SEARCH, STORE, UID EXPUNGE, COPY/MOVE or APPEND may touch
        /// (RFC 9738); a command over it is refused `NO [LIMIT]` and counted in
        /// ``FakeIMAPServer/messageLimitViolations``. Announced only when ``capabilities`` holds
        /// `MESSAGELIMIT=N`; `nil` is unlimited.
        public var messageLimit: Int?
        /// The hierarchy delimiter LIST announces (the model itself always nests at `/`).
        public var delimiter: String
        /// Keep mailbox names a real server refuses (a leading `/`, empty levels, `..`) exactly
        /// as seeded, without making parents: a hostile server's listing.
        public var acceptsAnyMailboxName: Bool
        /// The tagged NO text (e.g. `[PARSE] 8-bit header`) for an APPENDed message the server
        /// refuses, judged by its bytes; `nil` stores it. A MULTIAPPEND with one refused
        /// message is refused whole, as a real server does.
        public var refuseMessage: (@Sendable ([UInt8]) -> String?)?

        /// A plain IMAP4rev1 server with Dovecot's habits (capabilities in the greeting,
        /// LITERAL+, UIDPLUS, MULTIAPPEND, SPECIAL-USE), INBOX, Sent, Drafts, Trash and Junk.
        public init() {
            capabilities = [
                "IMAP4rev1", "SASL-IR", "LOGIN-REFERRALS", "ID", "ENABLE", "IDLE", "LITERAL+", "NAMESPACE", "UIDPLUS",
                "MULTIAPPEND", "UNSELECT", "CHILDREN", "SPECIAL-USE", "LIST-EXTENDED", "MOVE", "AUTH=PLAIN",
            ]
            greeting = "Fake IMAP ready."
            capabilitiesInGreeting = true
            credentials = nil
            gmail = false
            mailboxes = [
                MailboxSeed("INBOX"), MailboxSeed("Sent", specialUse: "\\Sent"), MailboxSeed("Drafts", specialUse: "\\Drafts"),
                MailboxSeed("Trash", specialUse: "\\Trash"), MailboxSeed("Junk", specialUse: "\\Junk"),
            ]
            refusedMailboxNames = [:]
            maximumConnections = nil
            tooManyConnections = .byeGreeting("Too many connections")
            intercept = nil
            permanentFlags = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft", "\\*"]
            firstUIDValidity = 1_700_000_001
            maximumLineLength = 64 << 10
            maximumLiteralSize = 64 << 20
            idleTimeout = 60
            lifetime = 900
            messageLimit = nil
            delimiter = "/"
            acceptsAnyMailboxName = false
            refuseMessage = nil
        }

        /// Gmail: `* OK Gimap ready`, X-GM-EXT-1, labels as mailboxes under `[Gmail]/`, one copy
        /// of each message in All Mail, duplicates (same Message-ID and size) silently merged,
        /// and Gmail's answer to too many connections.
        public static func gmail() -> Configuration {
            var configuration = Configuration()
            configuration.capabilities = [
                "IMAP4rev1", "UNSELECT", "IDLE", "NAMESPACE", "QUOTA", "ID", "XLIST", "CHILDREN", "X-GM-EXT-1", "UIDPLUS",
                "ENABLE", "MOVE", "LIST-EXTENDED", "LITERAL-", "SPECIAL-USE", "APPENDLIMIT=35651584", "SASL-IR",
                "AUTH=XOAUTH2", "AUTH=PLAIN", "AUTH=PLAIN-CLIENTTOKEN", "AUTH=OAUTHBEARER",
            ]
            configuration.greeting = "Gimap ready for requests from 127.0.0.1 fake"
            configuration.capabilitiesInGreeting = false
            configuration.gmail = true
            configuration.mailboxes = [
                MailboxSeed("INBOX"),
                MailboxSeed("[Gmail]", selectable: false),
                MailboxSeed("[Gmail]/All Mail", specialUse: "\\All"),
                MailboxSeed("[Gmail]/Drafts", specialUse: "\\Drafts"),
                MailboxSeed("[Gmail]/Important", specialUse: "\\Important"),
                MailboxSeed("[Gmail]/Sent Mail", specialUse: "\\Sent"),
                MailboxSeed("[Gmail]/Spam", specialUse: "\\Junk"),
                MailboxSeed("[Gmail]/Starred", specialUse: "\\Flagged"),
                MailboxSeed("[Gmail]/Trash", specialUse: "\\Trash"),
            ]
            configuration.permanentFlags = ["\\Answered", "\\Flagged", "\\Draft", "\\Deleted", "\\Seen", "$NotPhishing", "$Phishing", "\\*"]
            configuration.maximumConnections = 15
            configuration.tooManyConnections = .refuseLogin("NO [ALERT] Too many simultaneous connections. (Failure)")
            configuration.refusedMailboxNames = ["[Gmail]": "NO [CANNOT] Folder name conflicts with existing folder name. (Failure)"]
            return configuration
        }

        /// Office 365 / Outlook.com: Exchange's greeting and capabilities (no MULTIAPPEND), its
        /// folder names, and `Files` refused as a folder name.
        public static func office365() -> Configuration {
            var configuration = Configuration()
            configuration.capabilities = [
                "IMAP4", "IMAP4rev1", "AUTH=PLAIN", "AUTH=XOAUTH2", "SASL-IR", "UIDPLUS", "MOVE", "ID", "UNSELECT",
                "CHILDREN", "IDLE", "NAMESPACE", "LITERAL+",
            ]
            configuration.greeting = "The Microsoft Exchange IMAP4 service is ready."
            configuration.capabilitiesInGreeting = false
            configuration.mailboxes = [
                MailboxSeed("INBOX"), MailboxSeed("Archive", specialUse: "\\Archive"),
                MailboxSeed("Deleted Items", specialUse: "\\Trash"), MailboxSeed("Drafts", specialUse: "\\Drafts"),
                MailboxSeed("Junk Email", specialUse: "\\Junk"), MailboxSeed("Outbox"),
                MailboxSeed("Sent Items", specialUse: "\\Sent"),
            ]
            configuration.permanentFlags = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "$MDNSent"]
            configuration.refusedMailboxNames = ["Files": "NO Folder name is reserved."]
            configuration.tooManyConnections = .byeGreeting("Connection refused: too many simultaneous connections.")
            return configuration
        }
    }
}
