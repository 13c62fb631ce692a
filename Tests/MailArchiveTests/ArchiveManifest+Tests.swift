import Foundation
import MailArchive
import MailCore
import Testing

@Suite struct ArchiveManifestTests {
    static let fingerprint = Fingerprint.of(Array("Subject: x\r\n\r\nbody\r\n".utf8))

    static let entries: [ArchiveManifest.Entry] = [
        .init(
            member: "Maildir/cur/1546300800.M1.mailferry:2,S", folder: .inbox, flags: FlagSet([.seen]),
            internalDate: Date(timeIntervalSince1970: 1_546_300_800), key: "7:1", messageID: "<a@b>", size: 1234,
            sha256: String(repeating: "ab", count: 32), fingerprint: fingerprint),
        .init(
            member: "Maildir/.Entw&APw-rfe/cur/2.M2.mailferry:2,FSa", folder: FolderPath(["Entwürfe", "a/b"])!,
            flags: FlagSet([.flagged, .seen, .keyword(Keyword("$Label1")!)]), internalDate: nil,
            key: "quote \" backslash \\ slash / tab \t newline \n cr \r bell \u{07} del \u{7F} emoji 📬", messageID: nil,
            size: 0, sha256: "", fingerprint: fingerprint),
        .init(
            member: "m", folder: FolderPath(["Ω"])!, flags: FlagSet(), internalDate: Date(timeIntervalSince1970: -1),
            key: "\u{0C}\u{08}\u{1F}\u{00}", messageID: "<\"odd\"@x>", size: Int.max, sha256: "0", fingerprint: fingerprint),
    ]

    @Test("a manifest line is the JSON Foundation's encoder writes, and reads back", arguments: entries)
    func lineMatchesFoundation(entry: ArchiveManifest.Entry) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let expected = Array(try encoder.encode(entry)) + [UInt8(ascii: "\n")]
        let line = try ArchiveManifest.line(for: entry)
        #expect(String(decoding: line, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        #expect(try ArchiveManifest.parse(line + line, archive: "test") == [entry, entry])
    }
}
