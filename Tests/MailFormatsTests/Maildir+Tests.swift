import Foundation
import MailCore
import MailTesting
import Testing

@testable import MailFormats

@Suite("Maildir names, flags and keywords")
struct MaildirFormatTests {
    static let letterTable: [(String, FlagSet)] = [
        ("", FlagSet()),
        ("S", FlagSet([.seen])),
        ("RS", FlagSet([.seen, .answered])),
        ("DFPRSTc", FlagSet([.draft, .flagged, .keyword(.forwarded), .answered, .seen, .deleted])),
        ("Tab", FlagSet([.deleted, .keyword(Keyword("ProjectX")!), .keyword(.junk)])),
    ]

    @Test("flags to info letters and back", arguments: letterTable)
    func letters(letters: String, flags: FlagSet) {
        let names: [Character: Keyword] = ["a": Keyword("ProjectX")!, "b": .junk, "c": .forwarded]
        let letterFor: (Keyword) -> Character? = { keyword in names.first(where: { $0.value == keyword })?.key }
        #expect(MaildirInfo.letters(for: flags, letterForKeyword: letterFor).0 == letters)
        #expect(MaildirInfo.flags(fromLetters: Substring(letters), keywordNames: names).0 == flags)
    }

    @Test("$Forwarded reads back from P alone (mutt) and from its keyword letter alone (Dovecot)")
    func forwarded() {
        let names: [Character: Keyword] = ["a": .forwarded]
        #expect(MaildirInfo.flags(fromLetters: "PS", keywordNames: [:]).0 == FlagSet([.seen, .keyword(.forwarded)]))
        #expect(MaildirInfo.flags(fromLetters: "Sa", keywordNames: names).0 == FlagSet([.seen, .keyword(.forwarded)]))
    }

    @Test("unknown letters are reported, not guessed")
    func unknownLetters() {
        let (flags, unknown) = MaildirInfo.flags(fromLetters: "SXz", keywordNames: [:])
        #expect(flags == FlagSet([.seen]))
        #expect(unknown == ["X", "z"])
    }

    static let names: [(String, String, String?, Int?)] = [
        ("1700000000.M1P2.host,S=120,W=124:2,RS", "1700000000.M1P2.host,S=120,W=124", "RS", 120),
        ("1700000000.M1P2.host:2,", "1700000000.M1P2.host", "", nil),
        ("1700000000.M1P2.host;2,FS", "1700000000.M1P2.host", "FS", nil),
        ("1700000000.M1P2.host!2,S", "1700000000.M1P2.host", "S", nil),
        ("1700000000.M1P2.host", "1700000000.M1P2.host", nil, nil),
        ("odd:name:2,T", "odd:name", "T", nil),
        ("a:2,S:2,FT", "a:2,S", "FT", nil),
        ("a!2,S;2,T", "a!2,S", "T", nil),
        ("Entwürfe-ü,S=9:2,S", "Entwürfe-ü,S=9", "S", 9),
        ("x:2", "x:2", nil, nil),
        (":2,", "", "", nil),
    ]

    @Test("parses file names in every info-separator convention", arguments: names)
    func fileNames(name: String, base: String, letters: String?, size: Int?) {
        let parsed = MaildirFileName(parsing: name)
        #expect(parsed.base == base)
        #expect(parsed.infoLetters.map(String.init) == letters)
        #expect(parsed.size == size)
    }

    @Test("files are read in delivery order: digit runs compare as numbers")
    func deliveryOrder() {
        let names = ["1700000001.M5P1.h:2,S", "1700000000.M1000P1.h", "1700000000.M999P1.h:2,", "1700000000.M999P1Q10.h", "1700000000.M999P1Q9.h", "a", "1"]
        #expect(names.sorted(by: MaildirFileName.deliveredBefore) == [
            "1", "1700000000.M999P1.h:2,", "1700000000.M999P1Q9.h", "1700000000.M999P1Q10.h", "1700000000.M1000P1.h",
            "1700000001.M5P1.h:2,S", "a",
        ])
        // Leading zeros do not count; a name that is a prefix of another comes first.
        #expect(["x10", "x009", "x0010y", "x01", "x"].sorted(by: MaildirFileName.deliveredBefore) == ["x", "x01", "x009", "x10", "x0010y"])
        #expect(!MaildirFileName.deliveredBefore("m007", "m7") && !MaildirFileName.deliveredBefore("m7", "m007"))
    }

    @Test("unique names differ even when made in the same microsecond")
    func uniqueNames() {
        let names = Set((0..<1000).map { _ in MaildirFileName.uniqueBase(size: 1, virtualSize: 1) })
        #expect(names.count == 1000)
        #expect(names.allSatisfy { !$0.contains("/") && !$0.contains(":") && $0.hasSuffix(",S=1,W=1") })
    }

    @Test("dovecot-keywords: letters are assigned, saved, reloaded, and run out at 26")
    func keywordsFile() throws {
        let directory = try TemporaryDirectory("keywords")
        defer { directory.remove() }
        try directory.write("dovecot-keywords", "0 Existing\n1 $Junk\nbad line\n40 OutOfRange\n")
        let keywords = try MaildirKeywords(directory: directory.path)
        #expect(keywords.letter(for: Keyword("existing")!) == "a")  // names match case-insensitively
        #expect(keywords.letter(for: .junk) == "b")
        let many = Set((0..<30).map { Keyword("kw\($0)")! })
        try keywords.assign(many)
        let assigned = many.filter { keywords.letter(for: $0) != nil }
        #expect(assigned.count == 24)
        let reloaded = try MaildirKeywords(directory: directory.path)
        #expect(reloaded.keywordsByLetter.count == 26)
        #expect(reloaded.keywordsByLetter["a"] == Keyword("Existing"))
        let text = String(decoding: try directory.read("dovecot-keywords"), as: UTF8.self)
        #expect(text.hasPrefix("0 Existing\n1 $Junk\n2 kw0\n"))
    }
}

@Suite("Folder names on disk")
struct FolderNameEscapingTests {
    static let table: [(String, String, String, String)] = [
        // name, Maildir++ component, fs component, mbox directory name
        ("Archive", "Archive", "Archive", "Archive"),
        ("a.b", "a\\2eb", "a.b", "a.b"),
        ("a/b", "a\\2fb", "a\\2fb", "a\\2fb"),
        ("back\\slash", "back\\5cslash", "back\\5cslash", "back\\5cslash"),
        ("~home", "\\7ehome", "\\7ehome", "\\7ehome"),
        ("..", "\\2e\\2e", "\\2e\\2e", "\\2e\\2e"),
        (".", "\\2e", "\\2e", "\\2e"),
        (".hidden", "\\2ehidden", ".hidden", "\\2ehidden"),
        ("cur", "cur", "\\63ur", "cur"),
        ("Entwürfe", "Entw&APw-rfe", "Entw&APw-rfe", "Entwürfe"),
        ("esc\u{1b}[31m", "esc&ABs-[31m", "esc&ABs-[31m", "esc\\1b[31m"),
        ("nul\u{0}x", "nul&AAA-x", "nul&AAA-x", "nul\\00x"),
        ("Notes.sbd", "Notes\\2esbd", "Notes.sbd", "Notes\\2esbd"),
    ]

    @Test("escapes what the file system cannot hold, reversibly", arguments: table)
    func escaping(name: String, plusPlus: String, fs: String, mbox: String) {
        #expect(FolderNameEscaping.maildirPlusPlus.encode(name) == plusPlus)
        #expect(FolderNameEscaping.maildirFS.encode(name) == fs)
        #expect(FolderNameEscaping.mboxDirectory.encode(name) == mbox)
        #expect(FolderNameEscaping.maildirPlusPlus.decode(plusPlus) == name)
        #expect(FolderNameEscaping.maildirFS.decode(fs) == name)
        #expect(FolderNameEscaping.mboxDirectory.decode(mbox) == name)
    }

    @Test("names another program wrote in UTF-8 are read as they are")
    func foreignNames() {
        #expect(FolderNameEscaping.maildirPlusPlus.decode("Entwürfe") == "Entwürfe")
        #expect(FolderNameEscaping.maildirPlusPlus.decode("a&b") == "a&b")
    }

    @Test("a name too long for the file system is refused")
    func tooLong() {
        #expect(FolderNameEscaping.maildirFS.encode(String(repeating: "x", count: 256)) == nil)
        #expect(FolderNameEscaping.maildirFS.encode(String(repeating: "x", count: 255)) != nil)
    }

    @Test("no folder name, however hostile, leads out of the Maildir", arguments: [MaildirLayout.maildirPlusPlus, .fs])
    func hostileNamesStayInside(layout: MaildirLayout) throws {
        let tree = MaildirTree(root: "/srv/mail/user", layout: layout)
        let pieces = ["..", ".", "/", "../..", "a/../../b", "\\2e\\2e", "~", "\u{0}", "\n", ".sbd", "cur", "%", "&", "-"]
        var random = SeededGenerator(seed: 3)
        for _ in 0..<2000 {
            let components = (0..<Int.random(in: 1...4, using: &random)).map { _ in
                (0..<Int.random(in: 1...3, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            }
            guard let folder = FolderPath(components) else { continue }
            guard let directory = try? tree.directory(for: folder) else { continue }
            #expect(directory.hasPrefix("/srv/mail/user/"))
            let relative = directory.dropFirst("/srv/mail/user/".count)
            let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
            #expect(!parts.contains { $0.isEmpty || $0 == "." || $0 == ".." }, "\(components) → \(directory)")
            if layout == .maildirPlusPlus { #expect(parts.count == 1) } else { #expect(parts.count == components.count) }
        }
    }

    @Test("a Maildir++ directory with an empty level is one folder named by the whole name, not dropped")
    func emptyLevelIsListed() throws {
        let directory = try TemporaryDirectory("maildir-empty-level")
        defer { directory.remove() }
        for folder in ["", "/.a..b", "/.c.", "/.Fine"] {
            for sub in ["cur", "new", "tmp"] {
                try FileManager.default.createDirectory(atPath: directory.path + folder + "/" + sub, withIntermediateDirectories: true)
            }
        }
        let listed = try MaildirTree(root: directory.path, layout: .maildirPlusPlus).listFolders().map(\.path.components)
        #expect(listed.contains(["a..b"]), "\(listed)")
        #expect(listed.contains(["c."]), "\(listed)")
        #expect(listed.contains(["Fine"]))
        #expect(listed.count == 4)
    }
}

@Suite("Maildir delivery")
struct MaildirDeliveryTests {
    @Test("writes LF files named with sizes and flags, dated by the arrival time")
    func deliver() throws {
        let directory = try TemporaryDirectory("deliver")
        defer { directory.remove() }
        let delivery = try MaildirDelivery(directory: directory.file("box"), isSubfolder: true)
        let date = ISO8601DateFormatter().date(from: "2021-05-06T07:08:09Z")!
        let bytes = Array("Subject: x\r\n\r\nline\r\nlone\rcr\r\n".utf8)
        let delivered = try delivery.deliver(
            MessageData(bytes), flags: FlagSet([.seen, .keyword(Keyword("Work")!)]), internalDate: date)
        try delivery.syncDirectories()
        #expect(delivered.relativePath.hasPrefix("cur/"))
        #expect(delivered.relativePath.hasSuffix(":2,Sa"))
        let path = directory.file("box/\(delivered.relativePath)")
        let written = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(Array(written) == LineEndings.toLF(bytes))
        let name = MaildirFileName(parsing: String(delivered.relativePath.dropFirst(4)))
        #expect(name.size == written.count)
        #expect(name.base.hasSuffix(",W=\(bytes.count)"))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.modificationDate] as? Date) == date)
        #expect(FileManager.default.fileExists(atPath: directory.file("box/maildirfolder")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("box/tmp")).isEmpty)
    }

    @Test("unseen messages without flags go to new/ when asked")
    func newForUnseen() throws {
        let directory = try TemporaryDirectory("deliver-new")
        defer { directory.remove() }
        let delivery = try MaildirDelivery(directory: directory.path, options: .init(newForUnseen: true), isSubfolder: false)
        let unseen = try delivery.deliver(MessageData(Array("S: 1\n\nx\n".utf8)), flags: .empty, internalDate: nil)
        let flagged = try delivery.deliver(MessageData(Array("S: 2\n\nx\n".utf8)), flags: FlagSet([.flagged]), internalDate: nil)
        #expect(unseen.relativePath.hasPrefix("new/") && !unseen.relativePath.contains(":2,"))
        #expect(flagged.relativePath.hasPrefix("cur/") && flagged.relativePath.hasSuffix(":2,F"))
        #expect(!FileManager.default.fileExists(atPath: directory.file("maildirfolder")))
    }

    @Test("refuses to deliver through a symbolic link")
    func symlinkedFolder() throws {
        let directory = try TemporaryDirectory("deliver-link")
        defer { directory.remove() }
        let outside = try TemporaryDirectory("outside")
        defer { outside.remove() }
        try FileManager.default.createSymbolicLink(atPath: directory.file(".Evil"), withDestinationPath: outside.path)
        #expect {
            try MaildirDelivery(directory: directory.file(".Evil"), isSubfolder: true)
        } throws: { error in
            (error as? MailError)?.code == .unsafePath
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
    }
}
