import Foundation
import MailCore

/// `manifest.jsonl`, the last member of a MailFerry archive: one JSON object per message, so the
/// archive restores losslessly (folder names in Unicode, every flag and keyword, the arrival
/// date) and can be checked member by member without MailFerry's checkpoint.
///
/// ```json
/// {"member":"Maildir/.Archive.2019/cur/1546300800.M1P42.mailferry:2,S","folder":["Archive","2019"],
///  "flags":["\\Seen"],"keywords":["$Label1"],"internalDate":"2019-01-01T00:00:00Z","key":"…",
///  "messageID":"<a@b>","size":1234,"sha256":"…","fingerprint":"…"}
/// ```
public enum ArchiveManifest {
    /// The manifest's member name.
    public static let memberName = "manifest.jsonl"
    /// Largest manifest read (about 4 million messages).
    public static let maximumSize = 2 << 30

    /// One archived message.
    public struct Entry: Codable, Sendable, Hashable {
        /// The member holding the message's bytes, exactly as the source gave them.
        public var member: String
        /// The folder, as Unicode name components.
        public var folder: [String]
        /// System flags as IMAP spells them (`\Seen`).
        public var flags: [String]
        public var keywords: [String]
        /// The arrival date (IMAP INTERNALDATE), ISO 8601.
        public var internalDate: Date?
        /// The message's key in the store it was archived from.
        public var key: String
        public var messageID: String?
        /// Size of the member in bytes.
        public var size: Int
        /// SHA-256 of the member's bytes, hex.
        public var sha256: String
        /// MailFerry's fingerprint (SHA-256 of the bytes with CRLF line endings), hex.
        public var fingerprint: String

        public init(
            member: String, folder: FolderPath, flags: FlagSet, internalDate: Date?, key: String, messageID: String?,
            size: Int, sha256: String, fingerprint: Fingerprint
        ) {
            self.member = member
            self.folder = folder.components
            self.flags = flags.sorted.compactMap { if case .keyword = $0 { return nil } else { return $0.description } }
            self.keywords = flags.keywords.map(\.name).sorted()
            self.internalDate = internalDate
            self.key = key
            self.messageID = messageID
            self.size = size
            self.sha256 = sha256
            self.fingerprint = fingerprint.hex
        }

        /// The folder as a path (`nil` when the manifest names none).
        public var folderPath: FolderPath? { FolderPath(folder) }

        /// Flags and keywords together; names that are not valid flags are left out.
        public var flagSet: FlagSet {
            var set = FlagSet()
            for text in flags { if let flag = Flag(imap: text) { set.insert(flag) } }
            for name in keywords { if let keyword = Keyword(name) { set.insert(.keyword(keyword)) } }
            return set
        }
    }

    /// One line (with its newline) for `entry`: the JSON `JSONEncoder` writes with sorted keys
    /// and unescaped slashes, written directly — one line per archived message adds up.
    public static func line(for entry: Entry) throws -> [UInt8] {
        var line = JSONLine()
        line.field("fingerprint", entry.fingerprint)
        line.field("flags", entry.flags)
        line.field("folder", entry.folder)
        if let date = entry.internalDate { line.field("internalDate", CivilDate.iso8601Text(date)) }
        line.field("key", entry.key)
        line.field("keywords", entry.keywords)
        line.field("member", entry.member)
        if let messageID = entry.messageID { line.field("messageID", messageID) }
        line.field("sha256", entry.sha256)
        line.field("size", entry.size)
        return line.finish()
    }

    /// A flat JSON object written field by field, keys in the order given.
    private struct JSONLine {
        private var bytes: [UInt8] = [UInt8(ascii: "{")]

        init() { bytes.reserveCapacity(400) }

        mutating func field(_ key: String, _ value: String) {
            name(key)
            string(value)
        }

        mutating func field(_ key: String, _ values: [String]) {
            name(key)
            bytes.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                string(value)
            }
            bytes.append(UInt8(ascii: "]"))
        }

        mutating func field(_ key: String, _ value: Int) {
            name(key)
            bytes.append(contentsOf: String(value).utf8)
        }

        mutating func finish() -> [UInt8] {
            bytes.append(contentsOf: [UInt8(ascii: "}"), UInt8(ascii: "\n")])
            return bytes
        }

        private mutating func name(_ key: String) {
            if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
            string(key)
            bytes.append(UInt8(ascii: ":"))
        }

        /// A JSON string: quote, backslash and control characters escaped, the rest as UTF-8.
        private mutating func string(_ value: String) {
            bytes.append(UInt8(ascii: "\""))
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
                case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
                case 0..<0x20: bytes.append(contentsOf: "\\u00\([byte].hexString)".utf8)
                default: bytes.append(byte)
                }
            }
            bytes.append(UInt8(ascii: "\""))
        }
    }

    /// Parses a whole manifest; throws a `verification-failed` error naming the bad line.
    public static func parse(_ bytes: [UInt8], archive: String) throws -> [Entry] {
        var entries: [Entry] = []
        var lineNumber = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.isEmpty { continue }
            do {
                entries.append(try decoder.decode(Entry.self, from: Data(line)))
            } catch {
                throw MailError(
                    .verificationFailed, scope: .store, retry: .never,
                    "\(memberName) line \(lineNumber) is not a manifest entry: \(error)", path: archive, line: lineNumber)
            }
        }
        return entries
    }

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .utcISO8601
        return decoder
    }()
}

extension Array where Element == UInt8 {
    /// Lower-case hex.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
