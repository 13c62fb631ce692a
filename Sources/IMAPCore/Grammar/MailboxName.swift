import MailCore

/// A mailbox name as it travels on the wire: modified UTF-7 (RFC 3501 §5.1.3), or UTF-8 once the
/// server has enabled `UTF8=ACCEPT` (RFC 6855). `INBOX` is case-insensitive and always sent as
/// `INBOX`.
public struct MailboxName: Sendable, Hashable, CustomStringConvertible {
    /// The bytes sent and received.
    public let bytes: [UInt8]

    public static let inbox = MailboxName(bytes: Array("INBOX".utf8))

    public init(bytes: [UInt8]) {
        if bytes.count == 5, String(decoding: bytes, as: UTF8.self).uppercased() == "INBOX" {
            self.bytes = Array("INBOX".utf8)
        } else {
            self.bytes = bytes
        }
    }

    /// Encodes a Unicode name for the wire.
    public init(_ name: String, utf8: Bool) {
        self.init(bytes: Array((utf8 ? name : ModifiedUTF7.encode(name)).utf8))
    }

    /// The Unicode name, or `nil` when the bytes are not valid in the given encoding.
    public func decoded(utf8: Bool) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        if utf8 { return Array(text.utf8) == bytes ? text : nil }
        return try? ModifiedUTF7.decode(text)
    }

    public var description: String { decoded(utf8: false) ?? String(decoding: bytes, as: UTF8.self) }
}
