import Engine
import MailCore
import Testing

@Suite("Header rules")
struct HeaderRuleTests {
    static let header = Array("From: Ann <ann@Example.com>\r\nSubject: [list] weekly\r\n report\r\nList-Id: <dev.lists.example.org>\r\n\r\nbody From: nobody\r\n".utf8)

    @Test(
        "globs match the unfolded value of the named field, ignoring case",
        arguments: [
            ("From:*@example.com>", true), ("from:ANN*", true), ("From:*@example.org*", false),
            ("Subject:*weekly report", true), ("Subject:weekly*", false), ("List-Id:*", true),
            ("X-Missing:*", false), ("From:?nn*", true), ("From:*nobody*", false),
        ])
    func matches(rule: String, expected: Bool) throws {
        let parsed = try #require(HeaderRule(rule, excludes: false))
        #expect(parsed.matches(Self.header) == expected)
    }

    @Test("the filter keeps what every match rule and no exclude rule accepts; the literal narrows IMAP SEARCH")
    func filter() throws {
        var filter = MessageFilter()
        filter.headerRules = [HeaderRule("From:*@example.com*", excludes: false)!, HeaderRule("List-Id:*", excludes: true)!]
        let plain = MessageEnvelope(bytes: Array("From: x@example.com\r\n\r\nb\r\n".utf8), folder: .inbox, key: SourceKey("1"))
        let list = MessageEnvelope(bytes: Self.header, folder: .inbox, key: SourceKey("2"))
        let other = MessageEnvelope(bytes: Array("From: x@else.net\r\n\r\nb\r\n".utf8), folder: .inbox, key: SourceKey("3"))
        #expect(filter.admits(plain) && !filter.admits(list) && !filter.admits(other))
        #expect(filter.hint.headerContains == [FilterHint.HeaderContains(field: "from", text: "@example.com")])
        #expect(HeaderRule("no colon", excludes: false) == nil && HeaderRule(":x", excludes: false) == nil)
    }
}
