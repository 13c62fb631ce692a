import MailCore
import Stores
import Testing

@Suite("Gmail label policy")
struct GmailLabelPolicyTests {
    @Test(
        "one folder per message: the priority list, then user labels by name, then Sent, Drafts, INBOX last; other labels become keywords",
        arguments: [
            (["\\Inbox"], "INBOX", [String]()),
            (["\\Inbox", "Work"], "Work", ["INBOX"]),
            (["\\Inbox", "Work", "Clients/Acme"], "Clients/Acme", ["INBOX", "Work"]),
            (["\\Sent", "\\Inbox"], "Sent", ["INBOX"]),
            (["\\Important", "\\Starred"], "Archive", ["$Important", "\\Flagged"]),
            ([String](), "Archive", [String]()),
            (["Receipts 2024", "\\Inbox"], "Receipts 2024", ["INBOX"]),
        ] as [([String], String, [String])])
    func oneFolder(labels: [String], folder: String, flags: [String]) {
        let (folders, added) = GmailLabelPolicy().placement(labels)
        #expect(folders.map(\.displayName) == [folder])
        #expect(Set(added.sorted.map(\.description)) == Set(flags.map { $0 == "Receipts 2024" ? "Receipts_2024" : $0 }))
    }

    @Test("an explicit priority wins; INBOX names Gmail's \\Inbox")
    func priority() {
        let policy = GmailLabelPolicy(priority: ["INBOX", "Work"])
        #expect(policy.placement(["Work", "\\Inbox", "Clients"]).folders.map(\.displayName) == ["INBOX"])
        #expect(GmailLabelPolicy(priority: ["Work"]).placement(["Clients", "Work"]).folders.map(\.displayName) == ["Work"])
    }

    @Test("per label: a folder for every label; Sent and Drafts keep their roles")
    func perLabel() {
        let (folders, added) = GmailLabelPolicy(mode: .perLabel).placement(["\\Inbox", "Work", "\\Sent", "\\Starred"])
        #expect(folders.map(\.displayName) == ["INBOX", "Work", "Sent"])
        #expect(folders[2].role == .sent)
        #expect(added.sorted == [.flagged])
    }
}
