import IMAPCore
import MailCore
import Testing

@testable import Stores

@Suite("IMAP folder names between servers")
struct IMAPFolderNamesTests {
    static let dovecot = IMAPFolderNames(prefix: [], delimiter: "/", utf8: false)
    static let courier = IMAPFolderNames(prefix: Array("INBOX.".utf8), delimiter: ".", utf8: false)

    static func entry(_ name: String, _ delimiter: Character?) -> ListEntry {
        ListEntry(attributes: [], delimiter: delimiter, name: Array(name.utf8))
    }

    static let reading: [(IMAPFolderNames, String, Character?, [String]?)] = [
        (dovecot, "INBOX", "/", ["INBOX"]),
        (dovecot, "inbox", "/", ["INBOX"]),
        (dovecot, "Archive/2021", "/", ["Archive", "2021"]),
        (dovecot, "A &- B", "/", ["A & B"]),
        (dovecot, "Rechnungen/&ANw-berweisungen", "/", ["Rechnungen", "Überweisungen"]),
        (courier, "INBOX.Sent", ".", ["Sent"]),
        (courier, "INBOX.Archive.2021", ".", ["Archive", "2021"]),
        (courier, "INBOX", ".", ["INBOX"]),
        (dovecot, "Other Users/bob/INBOX", "/", nil),  // another user's namespace is not ours to copy
        // Hostile names with an empty level are one folder named by the whole name, never dropped.
        (dovecot, "/etc/x", "/", ["/etc/x"]),
        (dovecot, "a//b", "/", ["a//b"]),
        (dovecot, "trailing/", "/", ["trailing/"]),
        (courier, "INBOX.a/../../x", ".", ["a/../../x"]),
        (dovecot, "a/../x", "/", ["a", "..", "x"]),  // levels are kept; the destination escapes ".."
    ]

    @Test("LIST names become paths: prefix removed, delimiter split, modified UTF-7 decoded", arguments: reading)
    func read(names: IMAPFolderNames, wire: String, delimiter: Character?, expected: [String]?) {
        #expect(names.path(for: Self.entry(wire, delimiter), otherNamespaces: [Array("Other Users/".utf8)])?.components == expected)
    }

    static let writing: [(IMAPFolderNames, [String], String, Bool)] = [
        (dovecot, ["INBOX"], "INBOX", false),
        (dovecot, ["Archive", "2021"], "Archive/2021", false),
        (courier, ["Archive", "2021"], "INBOX.Archive.2021", false),
        (courier, ["INBOX", "Sub"], "INBOX.Sub", false),
        (dovecot, ["Überweisungen"], "&ANw-berweisungen", false),
        (courier, ["v1.2 notes"], "INBOX.v1_2 notes", true),  // the server's delimiter inside a name
        (dovecot, ["a/b"], "a_b", true),
    ]

    @Test("paths become wire names with the destination's delimiter and prefix", arguments: writing)
    func write(names: IMAPFolderNames, components: [String], wire: String, noted: Bool) throws {
        let (name, note) = names.mailbox(for: try #require(FolderPath(components)))
        #expect(String(decoding: name.bytes, as: UTF8.self) == wire)
        #expect((note != nil) == noted)
    }

    @Test("a folder read from one server and written to another keeps its place")
    func betweenServers() throws {
        for wire in ["INBOX.Archive.2021", "INBOX.Sent", "INBOX.A &- B"] {
            let path = try #require(Self.courier.path(for: Self.entry(wire, "."), otherNamespaces: []))
            let back = Self.courier.mailbox(for: path).name
            #expect(String(decoding: back.bytes, as: UTF8.self) == wire)
            let onDovecot = Self.dovecot.mailbox(for: path).name
            #expect(Self.dovecot.path(for: ListEntry(attributes: [], delimiter: "/", name: onDovecot.bytes), otherNamespaces: []) == path)
        }
    }
}
