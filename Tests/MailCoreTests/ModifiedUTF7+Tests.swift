import MailCore
import MailTesting
import Testing

@Suite("Modified UTF-7 (RFC 3501 §5.1.3)")
struct ModifiedUTF7Tests {
    static let valid: [(String, String)] = [
        ("INBOX", "INBOX"),
        ("", ""),
        ("&", "&-"),
        ("a&b", "a&-b"),
        ("Entwürfe", "Entw&APw-rfe"),
        ("ö", "&APY-"),
        ("日本語", "&ZeVnLIqe-"),
        ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),  // RFC 3501's example
        ("Заметки", "&BBcEMAQ8BDUEQgQ6BDg-"),
        ("📧 mail", "&2D3c5w- mail"),  // a surrogate pair
        ("\u{1}", "&AAE-"),  // control characters are encoded, never raw
        ("Rechnungen/Überweisungen", "Rechnungen/&ANw-berweisungen"),
    ]

    @Test("encodes and decodes the table", arguments: valid)
    func roundTripTable(name: String, encoded: String) throws {
        #expect(ModifiedUTF7.encode(name) == encoded)
        #expect(try ModifiedUTF7.decode(encoded) == name)
    }

    static let invalid: [(String, ModifiedUTF7.DecodingError)] = [
        ("&Jjo", .unterminatedShift(offset: 0)),
        ("ab&AOk", .unterminatedShift(offset: 2)),
        ("&Jjo!-", .invalidBase64(offset: 4)),
        ("&&-", .invalidBase64(offset: 1)),
        ("&AGE-", .nonCanonical(offset: 0)),  // "a" must not be encoded
        ("&AOk-&AOk-", .nonCanonical(offset: 5)),  // adjacent runs must be one
        ("&2D0-", .loneSurrogate(offset: 4)),  // a high surrogate alone
        ("&3gA-", .loneSurrogate(offset: 4)),  // a low surrogate alone
        ("&AOl-", .invalidPadding(offset: 4)),  // non-zero padding bits
        ("&AOkA-", .invalidPadding(offset: 5)),  // a character that completes no UTF-16 unit
        ("caf\u{e9}", .invalidCharacter(offset: 3)),  // raw 8-bit
        ("a\u{7f}", .invalidCharacter(offset: 1)),
    ]

    @Test("rejects malformed and non-canonical input", arguments: invalid)
    func rejects(encoded: String, expected: ModifiedUTF7.DecodingError) {
        #expect(throws: expected) { try ModifiedUTF7.decode(encoded) }
    }

    @Test("round-trips random names", arguments: 0..<20)
    func randomRoundTrip(seed: Int) throws {
        var random = SeededGenerator(seed: UInt64(seed))
        for _ in 0..<200 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...12, using: &random) {
                let value: UInt32
                switch Int.random(in: 0..<4, using: &random) {
                case 0: value = UInt32.random(in: 0x20...0x7e, using: &random)
                case 1: value = UInt32.random(in: 0x00...0x1f, using: &random)
                case 2: value = UInt32.random(in: 0xa0...0xd7ff, using: &random)
                default: value = UInt32.random(in: 0x1_0000...0x10_ffff, using: &random)
                }
                if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
            }
            let name = String(scalars)
            let encoded = ModifiedUTF7.encode(name)
            #expect(encoded.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7e })
            #expect(try ModifiedUTF7.decode(encoded) == name)
        }
    }
}
