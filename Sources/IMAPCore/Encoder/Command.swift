/// A command MailFerry sends. Arguments are values; ``CommandEncoder`` decides how each is spelled
/// (atom, quoted string or literal) so that no argument can inject a line break into a command.
public enum Command: Sendable, Hashable {
    case capability
    case noop
    case logout
    case startTLS
    case login(username: String, password: String)
    /// `AUTHENTICATE mechanism [initial-response]`; the response is sent base64-encoded (`=` when empty).
    case authenticate(mechanism: String, initialResponse: [UInt8]?)
    case enable([String])
    case id([(String, String)])
    case namespace
    case compressDeflate
    /// `LIST reference pattern [RETURN (options)]`; the pattern may hold `*` and `%`.
    case list(reference: MailboxName, pattern: MailboxName, returnOptions: [String])
    case lsub(reference: MailboxName, pattern: MailboxName)
    case status(MailboxName, items: [String])
    case select(MailboxName, condStore: Bool)
    case examine(MailboxName, condStore: Bool)
    /// `CREATE name [(USE (\Role))]` (RFC 6154 CREATE-SPECIAL-USE).
    case create(MailboxName, specialUse: String?)
    case subscribe(MailboxName)
    case uidFetch(UIDSet, items: [String], changedSince: UInt64?)
    /// `FETCH numbers (items)` by message sequence number — for scanning a folder in slices when
    /// the server caps the messages per command (RFC 9738 MESSAGELIMIT). The set holds numbers,
    /// not UIDs.
    case fetch(UIDSet, items: [String])
    case uidSearch([SearchArgument])
    case uidStore(UIDSet, operation: String, flags: [String])
    case uidExpunge(UIDSet)
    case unselect
    case close
    /// `APPEND name (flags) "date" {size}` — several messages at once with MULTIAPPEND (RFC 3502).
    /// The message bytes are not part of the command: the encoder leaves a
    /// ``EncodedCommand/Segment/messageBody(index:size:)`` for each.
    case append(MailboxName, messages: [AppendMessage])

    public static func == (lhs: Command, rhs: Command) -> Bool { "\(lhs)" == "\(rhs)" }
    public func hash(into hasher: inout Hasher) { hasher.combine("\(self)") }
}

/// One message of an APPEND: its flags, arrival date (`dd-Mon-yyyy hh:mm:ss +zzzz`) and size in
/// bytes (CRLF line endings, as it will be sent).
public struct AppendMessage: Sendable, Hashable {
    public var flags: [String]
    public var internalDate: String?
    public var size: Int
    /// Sent as BINARY's `literal8` (`~{n}`, RFC 3516), which may carry NUL; only when the
    /// server offers BINARY.
    public var binary: Bool

    public init(flags: [String], internalDate: String?, size: Int, binary: Bool = false) {
        self.flags = flags
        self.internalDate = internalDate
        self.size = size
        self.binary = binary
    }
}

/// One word of a SEARCH command: a key (`HEADER`, `UID`, `ALL`), a string value, or a UID set.
public enum SearchArgument: Sendable, Hashable {
    case key(String)
    case string(String)
    case set(UIDSet)
}
