import MailArchive
import Testing

@Suite struct MemberNameTests {
    @Test(arguments: [
        ("Maildir/cur/1.M1:2,S", "Maildir/cur/1.M1:2,S"),
        ("./Maildir/.Sent/cur/x", "Maildir/.Sent/cur/x"),
        ("a//b/./c/", "a/b/c"),
        ("mail/Ünïcode.eml", "mail/Ünïcode.eml"),
        // Dovecot's and MailFerry's escape of a "." in a Maildir++ folder name (Clients/acme.com).
        ("Maildir/.Clients.acme\\2ecom/cur/1.M1:2,S", "Maildir/.Clients.acme\\2ecom/cur/1.M1:2,S"),
        ("Maildir/.a\\2E\\5cb/cur/x", "Maildir/.a\\2E\\5cb/cur/x"),
    ])
    func accepted(raw: String, normalised: String) throws {
        let name = try MemberName.check(raw).get()
        #expect(name.path == normalised)
    }

    @Test(arguments: [
        ("/etc/passwd", MemberName.Problem.absolute),
        ("../evil", .parentReference),
        ("Maildir/../../evil", .parentReference),
        ("C:/Windows/evil", .absolute),
        ("a\\..\\b", .backslash),
        ("a\\2", .backslash),
        ("a\\zz/b", .backslash),
        ("Maildir\\x", .backslash),
        // Escapes are allowed, but not as a way to climb when a backslash is read as a separator.
        ("..\\2e/cur/x", .parentReference),
        ("a/..\\5c/b", .parentReference),
        ("a\u{0}b", .controlCharacter),
        ("bad\nname", .controlCharacter),
        ("./", .empty),
        ("", .empty),
    ])
    func refused(raw: String, problem: MemberName.Problem) {
        switch MemberName.check(raw) {
        case .success(let name): Issue.record("accepted \(name)")
        case .failure(let error): #expect(error.problem == problem)
        }
    }

    @Test func overlongNamesAreRefused() {
        let raw = String(repeating: "a/", count: 3_000)
        if case .success = MemberName.check(raw) { Issue.record("accepted a 6000-byte name") }
    }

    @Test(arguments: [
        ("mail-2024.tar.zst", ArchiveFormat.tarZstd), ("x.TGZ", .tarGzip), ("x.tar.gz", .tarGzip), ("a.tar.xz", .tarXz),
        ("b.tar.bz2", .tarBzip2), ("c.zip", .zip), ("d.tar", .tar),
    ])
    func formatFromFileName(name: String, format: ArchiveFormat) {
        #expect(ArchiveFormat(fileName: name) == format)
    }

    @Test func unknownExtensionsHaveNoFormat() {
        #expect(ArchiveFormat(fileName: "mail.rar") == nil)
        #expect(throws: (any Error).self) { try ArchiveFormat.from(path: "mail.7z") }
    }
}
