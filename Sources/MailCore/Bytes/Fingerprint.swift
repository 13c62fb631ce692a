/// A message's content identity: SHA-256 over its bytes with line endings made canonical.
///
/// Canonical means every line ends in CRLF, including the last (a missing final line break is
/// added; a lone CR stays as it is). So the same message stored with LF in a Maildir, with CRLF on
/// an IMAP server, or without a final newline in an mbox has one fingerprint.
public struct Fingerprint: Hashable, Sendable, Codable, CustomStringConvertible {
    /// 64 lower-case hex digits.
    public let hex: String

    public init?(hex: String) {
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) })
        else { return nil }
        self.hex = hex
    }

    init(digest: [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xf)])
        }
        self.hex = String(decoding: text, as: UTF8.self)
    }

    /// The fingerprint of a whole message held in memory.
    public static func of(_ bytes: [UInt8]) -> Fingerprint {
        var builder = FingerprintBuilder()
        bytes.withUnsafeBytes { builder.update($0) }
        return builder.finish()
    }

    public var description: String { hex }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Fingerprint(hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad fingerprint"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

/// Computes a ``Fingerprint`` from bytes fed in chunks of any size.
public struct FingerprintBuilder: Sendable {
    private var hasher = SHA256()
    private var canonical = LineEndingConverter(to: .crlf)
    private var lastByte: UInt8?

    public init() {}

    public mutating func update(_ chunk: UnsafeRawBufferPointer) {
        guard let last = chunk.last else { return }
        canonical.convert(chunk) { hasher.update($0) }
        lastByte = last
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The fingerprint; a final line break is added when the bytes lack one.
    public mutating func finish() -> Fingerprint {
        switch lastByte {
        case nil, 0x0a: break
        case 0x0d: hasher.update(LineEndings.lfBytes)
        default: hasher.update(LineEndings.crlfBytes)
        }
        return Fingerprint(digest: hasher.finalize())
    }
}
