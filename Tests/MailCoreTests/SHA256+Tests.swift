import MailCore
import Testing

@Suite("SHA-256 and fingerprints")
struct SHA256Tests {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static let vectors: [(String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ]

    @Test("NIST FIPS 180-4 vectors", arguments: vectors)
    func nist(input: String, digest: String) {
        #expect(Self.hex(SHA256.hash(Array(input.utf8))) == digest)
    }

    @Test("a million 'a's, fed in uneven pieces")
    func millionA() {
        var hasher = SHA256()
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 999)
        var fed = 0
        while fed < 1_000_000 {
            let count = min(piece.count, 1_000_000 - fed)
            hasher.update(Array(piece.prefix(count)))
            fed += count
        }
        #expect(Self.hex(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("fingerprints ignore the line-ending convention and a missing final newline")
    func canonicalLineEndings() {
        let lf = Fingerprint.of(Array("Subject: x\n\nbody\nlast\n".utf8))
        #expect(Fingerprint.of(Array("Subject: x\r\n\r\nbody\r\nlast\r\n".utf8)) == lf)
        #expect(Fingerprint.of(Array("Subject: x\r\n\r\nbody\nlast".utf8)) == lf)
        #expect(Fingerprint.of(Array("Subject: x\r\n\r\nbody\nlast\n\n".utf8)) != lf)
        #expect(Fingerprint.of(Array("Subject: x\n\nbody\rlast\n".utf8)) != lf)  // a lone CR is data
        // The canonical form is CRLF: the fingerprint is SHA-256 of exactly those bytes.
        #expect(lf.hex == Self.hex(SHA256.hash(Array("Subject: x\r\n\r\nbody\r\nlast\r\n".utf8))))
    }

    @Test("fingerprints do not depend on how the bytes are chunked")
    func chunking() {
        let text = Array("a\r\nb\nc\r\rd\n\r\ne".utf8)
        let whole = Fingerprint.of(text)
        for split in 0...text.count {
            let builder = FingerprintBuilderBox()
            builder.update(Array(text[..<split]))
            builder.update(Array(text[split...]))
            #expect(builder.finish() == whole, "split at \(split)")
        }
    }
}

/// Holds a builder so the test can feed it in two calls.
final class FingerprintBuilderBox {
    var builder = FingerprintBuilder()
    func update(_ bytes: [UInt8]) { builder.update(bytes) }
    func finish() -> Fingerprint { builder.finish() }
}
