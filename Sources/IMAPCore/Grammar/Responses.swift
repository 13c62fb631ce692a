import NIOCore

/// The status of a tagged or untagged condition response.
public enum ResponseStatus: String, Sendable, Hashable {
    case ok = "OK"
    case no = "NO"
    case bad = "BAD"
}

/// A status line: the optional response code and the human-readable text.
public struct ResponseText: Sendable, Hashable {
    public var code: ResponseCode?
    public var text: String

    public init(code: ResponseCode? = nil, text: String) {
        self.code = code
        self.text = text
    }
}

/// `tag OK/NO/BAD [code] text`: the end of a command.
public struct TaggedResponse: Sendable, Hashable {
    public var tag: String
    public var status: ResponseStatus
    public var text: ResponseText

    public init(tag: String, status: ResponseStatus, text: ResponseText) {
        self.tag = tag
        self.status = status
        self.text = text
    }
}

/// One `LIST` or `LSUB` line: attributes (`\Noselect`, `\HasChildren`, `\Sent`, …), the
/// hierarchy delimiter (`nil` for a flat namespace) and the mailbox name as the server spells it.
public struct ListEntry: Sendable, Hashable {
    public var attributes: [String]
    public var delimiter: Character?
    /// The name's bytes as sent (modified UTF-7, or UTF-8 with UTF8=ACCEPT).
    public var name: [UInt8]

    public init(attributes: [String], delimiter: Character?, name: [UInt8]) {
        self.attributes = attributes
        self.delimiter = delimiter
        self.name = name
    }

    public func hasAttribute(_ attribute: String) -> Bool {
        attributes.contains { $0.lowercased() == attribute.lowercased() }
    }
}

/// One namespace of a `NAMESPACE` response: a prefix and its delimiter.
public struct NamespaceDescription: Sendable, Hashable {
    public var prefix: [UInt8]
    public var delimiter: Character?

    public init(prefix: [UInt8], delimiter: Character?) {
        self.prefix = prefix
        self.delimiter = delimiter
    }
}

/// `* NAMESPACE personal other shared` (RFC 2342).
public struct NamespaceResponse: Sendable, Hashable {
    public var personal: [NamespaceDescription]
    public var otherUsers: [NamespaceDescription]
    public var shared: [NamespaceDescription]

    public init(personal: [NamespaceDescription], otherUsers: [NamespaceDescription], shared: [NamespaceDescription]) {
        self.personal = personal
        self.otherUsers = otherUsers
        self.shared = shared
    }
}

/// One item of a `FETCH` response.
public enum FetchAttribute: Sendable, Hashable {
    case uid(UInt32)
    case flags([String])
    /// The raw `INTERNALDATE` text (`"27-Nov-2026 12:52:45 +0000"`).
    case internalDate(String)
    case rfc822Size(Int)
    case modSeq(UInt64)
    /// A body section whose bytes were streamed as events (`BODY[]`, `BODY[HEADER]`, `RFC822`, …).
    case streamedBody(section: String, size: Int)
    /// A body section sent inline as a quoted string, or `NIL` (empty bytes).
    case inlineBody(section: String, bytes: [UInt8])
    case gmailLabels([[UInt8]])
    case gmailMessageID(UInt64)
    case gmailThreadID(UInt64)
    case bodyStructure(IMAPValue)
    case envelope(IMAPValue)
    /// Anything else: the item name and its value.
    case other(name: String, value: IMAPValue)
}

/// `ESEARCH` results (RFC 4731).
public struct ExtendedSearchResponse: Sendable, Hashable {
    public var tag: String?
    public var uid: Bool
    public var min: UInt32?
    public var max: UInt32?
    public var count: Int?
    public var all: UIDSet?
    public var modSeq: UInt64?

    public init(
        tag: String?, uid: Bool, min: UInt32? = nil, max: UInt32? = nil, count: Int? = nil, all: UIDSet? = nil,
        modSeq: UInt64? = nil
    ) {
        self.tag = tag
        self.uid = uid
        self.min = min
        self.max = max
        self.count = count
        self.all = all
        self.modSeq = modSeq
    }
}

/// A response without a tag.
public enum UntaggedResponse: Sendable, Hashable {
    case condition(ResponseStatus, ResponseText)
    case bye(ResponseText)
    case preauth(ResponseText)
    case capability([String])
    case enabled([String])
    case list(ListEntry)
    case lsub(ListEntry)
    /// `* STATUS mailbox (MESSAGES n UIDNEXT n …)`: item name (upper-cased) → value.
    case status(mailbox: [UInt8], items: [String: UInt64])
    case flags([String])
    case exists(UInt32)
    case recent(UInt32)
    case expunge(UInt32)
    case vanished(earlier: Bool, uids: UIDSet)
    case search(ids: [UInt32], modSeq: UInt64?)
    case extendedSearch(ExtendedSearchResponse)
    case fetch(sequence: UInt32, attributes: [FetchAttribute])
    case namespace(NamespaceResponse)
    /// `* QUOTA root (resource usage limit …)`.
    case quota(root: [UInt8], resources: [QuotaResource])
    case quotaRoot(mailbox: [UInt8], roots: [[UInt8]])
    case id([String: String])
    /// Any other untagged response: its first word and the rest of the line.
    case other(name: String, text: String)
}

/// One resource of a `QUOTA` response (RFC 9208): `STORAGE 10 512` (kibibytes), `MESSAGE 3 100`.
public struct QuotaResource: Sendable, Hashable {
    public var name: String
    public var usage: UInt64
    public var limit: UInt64

    public init(name: String, usage: UInt64, limit: UInt64) {
        self.name = name
        self.usage = usage
        self.limit = limit
    }
}

/// A complete response from the server.
public enum Response: Sendable, Hashable {
    case untagged(UntaggedResponse)
    case tagged(TaggedResponse)
    /// `+ text`: the server waits for more of a command (a literal, or an authentication step).
    case continuation(String)
}

/// What the response parser hands on: complete responses, and the bytes of FETCH body sections
/// as they arrive (so a 30 MB message never sits in memory whole).
public enum ResponseEvent: Sendable, Hashable {
    case response(Response)
    /// A body section of message `sequence` starts; `size` bytes of ``bodyBytes(_:)`` follow.
    case bodyBegin(sequence: UInt32, section: String, size: Int)
    case bodyBytes(ByteBuffer)
    case bodyEnd
}
