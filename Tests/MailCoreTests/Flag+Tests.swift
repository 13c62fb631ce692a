import Foundation
import MailCore
import Testing

@Suite("Flags and keywords")
struct FlagTests {
    @Test(
        "well-known keywords take their canonical spelling",
        arguments: [
            ("$forwarded", "$Forwarded"), ("$JUNK", "$Junk"), ("$notjunk", "$NotJunk"), ("$mdnsent", "$MDNSent"),
            ("ProjectX", "ProjectX"), ("$label1", "$label1"),
        ])
    func canonical(input: String, expected: String) {
        #expect(Keyword(input)?.name == expected)
    }

    @Test("keywords must be IMAP atoms", arguments: ["", "two words", "(paren", "star*", "quo\"te", "back\\slash", "br]acket", "ü", "\\Seen"])
    func invalidKeywords(text: String) {
        #expect(Keyword(text) == nil)
    }

    @Test("system flags parse case-insensitively; \\Recent is never a flag")
    func systemFlags() {
        #expect(Flag(imap: "\\SEEN") == .seen)
        #expect(Flag(imap: "\\answered") == .answered)
        #expect(Flag(imap: "\\Recent") == nil)
        #expect(Flag(imap: "$Forwarded") == .keyword(.forwarded))
    }

    @Test("a flag set encodes as IMAP strings and back")
    func codable() throws {
        var flags = FlagSet([.seen, .flagged, .keyword(Keyword("ProjectX")!), .keyword(.junk)])
        flags.insert(.draft)
        let data = try JSONEncoder().encode(flags)
        #expect(String(decoding: data, as: UTF8.self) == #"["\\Seen","\\Flagged","\\Draft","$Junk","ProjectX"]"#)
        #expect(try JSONDecoder().decode(FlagSet.self, from: data) == flags)
        #expect(flags.description == "\\Seen \\Flagged \\Draft $Junk ProjectX")
    }

    @Test("capabilities name what a store cannot keep")
    func unsupported() {
        let flags = FlagSet([.seen, .deleted, .keyword(.junk)])
        let noKeywords = StoreCapabilities(systemFlags: [.seen], keywords: .none)
        #expect(noKeywords.unsupported(in: flags) == FlagSet([.deleted, .keyword(.junk)]))
        #expect(StoreCapabilities().unsupported(in: flags).isEmpty)
    }
}

@Suite("Folder paths")
struct FolderPathTests {
    @Test("INBOX is case-insensitive and stored upper-case")
    func inbox() {
        #expect(FolderPath(parsing: "inbox", delimiter: "/") == .inbox)
        #expect(FolderPath(parsing: "Inbox/Sub", delimiter: "/")?.components == ["INBOX", "Sub"])
        #expect(FolderPath(["Archive", "inbox"])?.components == ["Archive", "inbox"])
    }

    @Test("empty names and empty levels are refused")
    func emptyComponents() {
        #expect(FolderPath(parsing: "", delimiter: "/") == nil)
        #expect(FolderPath(parsing: "a//b", delimiter: "/") == nil)
        #expect(FolderPath([]) == nil)
    }

    @Test("renders with any delimiter, refusing names that contain it")
    func rendering() throws {
        let path = try #require(FolderPath(["Archive", "2021", "Q1"]))
        #expect(path.rendered(delimiter: ".") == "Archive.2021.Q1")
        #expect(path.rendered(delimiter: "/") == "Archive/2021/Q1")
        let dotted = try #require(FolderPath(["v1.2", "notes"]))
        #expect(dotted.rendered(delimiter: ".") == nil)
        #expect(dotted.rendered(delimiter: "/") == "v1.2/notes")
        #expect(FolderPath(["a/b"])?.displayName == "a\\/b")
    }

    @Test("prefixing, parents and ancestry")
    func structure() throws {
        let path = try #require(FolderPath(parsing: "Archive/2021", delimiter: "/"))
        let imported = path.prefixed(by: try #require(FolderPath(["Imported"])))
        #expect(imported.displayName == "Imported/Archive/2021")
        #expect(path.parent == FolderPath(["Archive"]))
        #expect(FolderPath(["Archive"])!.isAncestor(of: path))
        #expect(!path.isAncestor(of: path))
        #expect(FolderPath.inbox < FolderPath(["Archive"])!)
    }

    @Test("special-use roles come from attributes and common names")
    func roles() {
        #expect(SpecialUse(attribute: "\\sent") == .sent)
        #expect(SpecialUse(attribute: "\\HasChildren") == nil)
        #expect(SpecialUse.guess(fromName: "Sent Items") == .sent)
        #expect(SpecialUse.guess(fromName: "Deleted Messages") == .trash)
        #expect(SpecialUse.guess(fromName: "Spam") == .junk)
        #expect(SpecialUse.guess(fromName: "Projects") == nil)
    }
}
