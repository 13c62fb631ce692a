import Foundation

/// One message on its way from a source to a sink: its raw RFC 5322 bytes and everything
/// MailFerry knows about it.
///
/// Sources build envelopes; transforms may replace them; sinks store them. The bytes are never
/// rewritten silently: metadata that a format keeps inside the message (mbox `Status:` headers)
/// is lifted into ``flags`` by the source and put back by the sink.
public struct MessageEnvelope: Sendable {
    /// The message, as the source stores it (line endings unconverted).
    public var data: MessageData
    /// The folder it was read from.
    public var folder: FolderPath
    /// Its identity in the source (Maildir file name, mbox offset, IMAP UID).
    public var key: SourceKey
    /// Its 1-based position in the folder as read, for error messages.
    public var number: Int?
    public var flags: FlagSet
    /// When the message arrived (IMAP INTERNALDATE, Maildir mtime, mbox `From ` line date).
    public var internalDate: Date?
    /// The `Message-ID` header's value, angle brackets included, when present.
    public var messageID: String?
    /// The `Date` header, parsed, when present and readable.
    public var dateHeader: Date?
    /// SHA-256 of the CRLF-normalised bytes.
    public var fingerprint: Fingerprint
    /// Provider labels (Gmail's X-GM-LABELS), empty elsewhere.
    public var labels: [String]

    /// Size in bytes as stored.
    public var size: Int { data.count }

    public init(
        data: MessageData, folder: FolderPath, key: SourceKey, number: Int? = nil, flags: FlagSet = .empty,
        internalDate: Date? = nil, messageID: String?, dateHeader: Date?, fingerprint: Fingerprint,
        labels: [String] = []
    ) {
        self.data = data
        self.folder = folder
        self.key = key
        self.number = number
        self.flags = flags
        self.internalDate = internalDate
        self.messageID = messageID
        self.dateHeader = dateHeader
        self.fingerprint = fingerprint
        self.labels = labels
    }

    /// Builds an envelope for in-memory bytes, scanning its headers and computing its fingerprint.
    public init(
        bytes: [UInt8], folder: FolderPath, key: SourceKey, number: Int? = nil, flags: FlagSet = .empty,
        internalDate: Date? = nil
    ) {
        let headers = HeaderScanner.scan(bytes)
        self.init(
            data: MessageData(bytes), folder: folder, key: key, number: number, flags: flags,
            internalDate: internalDate, messageID: headers.messageID, dateHeader: headers.date,
            fingerprint: Fingerprint.of(bytes))
    }

    /// Builds an envelope for data already collected (and fingerprinted), scanning the first
    /// ``HeaderScanner/scanLimit`` bytes for Message-ID and Date.
    public init(
        data: MessageData, fingerprint: Fingerprint, folder: FolderPath, key: SourceKey, number: Int? = nil,
        flags: FlagSet = .empty, internalDate: Date? = nil
    ) throws {
        let headers = HeaderScanner.scan(try data.prefix(HeaderScanner.scanLimit))
        self.init(
            data: data, folder: folder, key: key, number: number, flags: flags, internalDate: internalDate,
            messageID: headers.messageID, dateHeader: headers.date, fingerprint: fingerprint)
    }
}

/// A message's identity within its source store, as text (a Maildir base name, `offset:1234`
/// for mbox, a UID for IMAP). Stable across runs as long as the store is not changed.
public struct SourceKey: Hashable, Sendable, Codable, CustomStringConvertible {
    public let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { value }

    /// The number after the last `:` (an IMAP UID in `uidvalidity:uid`, an mbox offset), which
    /// orders messages within a folder; `nil` for keys without one (Maildir names).
    public var ordinal: UInt64? {
        guard let colon = value.utf8.lastIndex(of: UInt8(ascii: ":")) else { return nil }
        return UInt64(value[value.utf8.index(after: colon)...])
    }

    public init(from decoder: any Decoder) throws {
        value = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
