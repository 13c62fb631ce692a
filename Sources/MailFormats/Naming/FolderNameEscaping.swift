import MailCore

/// Turns one folder-name component into a safe directory or file name and back.
///
/// Follows Dovecot's escaping (`mailbox_list_escape_name_params`, the `listescape` convention):
/// a character that cannot appear is written as `\` plus two lower-case hex digits, and `\` itself
/// is escaped, so every name has exactly one reversible spelling. With ``modifiedUTF7`` the name is
/// first encoded as IMAP modified UTF-7, as Dovecot stores Maildir folder names; that also turns
/// control characters and NUL into base64, so they never reach the file system.
///
/// What is always escaped: `/`, `\`, the ``separator`` (for Maildir++, `.`), NUL and control
/// characters, a leading `~`, and names that would be special to the file system (`.`, `..`,
/// and the ``reservedNames`` such as Maildir's `cur`/`new`/`tmp` in the fs layout).
public struct FolderNameEscaping: Sendable {
    /// Encode in modified UTF-7 before escaping (Maildir, as Dovecot does); otherwise keep UTF-8.
    public var modifiedUTF7: Bool
    /// A byte that separates components on disk and so must be escaped inside them.
    public var separator: UInt8?
    /// Also escape a leading `.` (keeps mbox folder files visible and distinct from `.sbd` dirs).
    public var escapeLeadingDot: Bool
    /// Whole names that must not appear as they are.
    public var reservedNames: Set<String>
    /// Suffixes that must not end a name (Thunderbird's `.sbd` and `.msf`).
    public var reservedSuffixes: [String]

    public static let escapeByte = UInt8(ascii: "\\")
    /// Longest encoded name a file system accepts (NAME_MAX).
    public static let maximumEncodedLength = 255

    public init(
        modifiedUTF7: Bool, separator: UInt8?, escapeLeadingDot: Bool = false, reservedNames: Set<String> = [],
        reservedSuffixes: [String] = []
    ) {
        self.modifiedUTF7 = modifiedUTF7
        self.separator = separator
        self.escapeLeadingDot = escapeLeadingDot
        self.reservedNames = reservedNames
        self.reservedSuffixes = reservedSuffixes
    }

    /// Maildir++ as Dovecot writes it: `.Parent.Child`, modified UTF-7, `.` escaped.
    public static let maildirPlusPlus = FolderNameEscaping(modifiedUTF7: true, separator: UInt8(ascii: "."))
    /// Maildir fs layout: `Parent/Child`, modified UTF-7; `cur`, `new`, `tmp` escaped.
    public static let maildirFS = FolderNameEscaping(
        modifiedUTF7: true, separator: nil, reservedNames: ["cur", "new", "tmp"])
    /// mbox directories (Thunderbird style): UTF-8 names, hidden and `.sbd`/`.msf` names escaped.
    public static let mboxDirectory = FolderNameEscaping(
        modifiedUTF7: false, separator: nil, escapeLeadingDot: true, reservedSuffixes: [".sbd", ".msf"])

    /// The on-disk spelling of `component`, or `nil` when it is too long for a file name.
    public func encode(_ component: String) -> String? {
        let text = modifiedUTF7 ? ModifiedUTF7.encode(component) : component
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 4)
        let reserved = reservedNames.contains(text) || text == "." || text == ".."
        let suffixStart = reservedSuffixes.first(where: { text.hasSuffix($0) }).map { bytes.count - $0.utf8.count }
        for (index, byte) in bytes.enumerated() {
            let mustEscape =
                byte < 0x20 || byte == 0x7f || byte == UInt8(ascii: "/") || byte == Self.escapeByte
                || byte == separator
                || (index == 0 && (byte == UInt8(ascii: "~") || reserved || (escapeLeadingDot && byte == UInt8(ascii: "."))))
                || (reserved && byte == UInt8(ascii: "."))
                || (index == suffixStart)
            if mustEscape {
                output.append(Self.escapeByte)
                output.append(Self.hexDigits[Int(byte >> 4)])
                output.append(Self.hexDigits[Int(byte & 0xf)])
            } else {
                output.append(byte)
            }
        }
        guard output.count <= Self.maximumEncodedLength else { return nil }
        return String(decoding: output, as: UTF8.self)
    }

    /// The folder name a directory or file name stands for. Names another program wrote in UTF-8
    /// (not valid modified UTF-7) are taken as they are.
    public func decode(_ encoded: String) -> String {
        let unescaped = Self.unescape(encoded)
        guard modifiedUTF7 else { return unescaped }
        return (try? ModifiedUTF7.decode(unescaped)) ?? unescaped
    }

    static func unescape(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(escapeByte) else { return text }
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == escapeByte, index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
