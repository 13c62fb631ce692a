import MailCore

/// How a Gmail source's labels become folders. Gmail keeps each message once, in
/// `[Gmail]/All Mail`, and shows it in one folder per label; copying those folders copies a
/// message once per label, and an archived message without labels is in none of them.
public struct GmailLabelPolicy: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// Each message into one folder — its first label by ``priority`` (user labels, then
        /// Sent and Drafts, INBOX last) — with its other labels as keywords.
        case oneFolder = "one-folder"
        /// Each message into the folder of every label it has.
        case perLabel = "per-label"
    }

    public var mode: Mode
    /// Labels tried first, in this order (`INBOX` for Gmail's `\Inbox`), before the default order.
    public var priority: [String]
    /// Where messages with no label (archived) go.
    public var unlabelled: FolderPath

    public init(mode: Mode = .oneFolder, priority: [String] = [], unlabelled: FolderPath = FolderPath(["Archive"])!) {
        self.mode = mode
        self.priority = priority
        self.unlabelled = unlabelled
    }

    /// What one label means here.
    enum Meaning: Hashable {
        case folder(FolderPath)
        /// Not a folder: a flag or keyword on the message.
        case flag(Flag)
        case ignored
    }

    static func meaning(of label: String) -> Meaning {
        switch label.lowercased() {
        case "\\inbox": return .folder(.inbox)
        case "\\sent": return .folder(Self.role(["Sent"], .sent))
        case "\\draft", "\\drafts": return .folder(Self.role(["Drafts"], .drafts))
        case "\\starred": return .flag(.flagged)
        case "\\important": return .flag(.keyword(.important))
        case "\\spam", "\\trash", "\\chats", "\\all", "\\allmail", "\\muted": return .ignored
        default:
            if label.hasPrefix("\\") { return .ignored }
            guard let path = FolderPath(parsing: label, delimiter: "/") else { return .ignored }
            return .folder(path)
        }
    }

    private static func role(_ components: [String], _ role: SpecialUse) -> FolderPath {
        var path = FolderPath(components)!
        path.role = role
        return path
    }

    /// The folders a message with `labels` goes to, and the flags its labels add.
    public func placement(_ labels: [String]) -> (folders: [FolderPath], flags: FlagSet) { place(labels) }

    func place(_ labels: [String]) -> (folders: [FolderPath], flags: FlagSet) {
        var folders: [(label: String, path: FolderPath)] = []
        var flags = FlagSet()
        for label in labels {
            switch Self.meaning(of: label) {
            case .folder(let path): if !folders.contains(where: { $0.path == path }) { folders.append((label, path)) }
            case .flag(let flag): flags.insert(flag)
            case .ignored: break
            }
        }
        guard !folders.isEmpty else { return ([unlabelled], flags) }
        if mode == .perLabel { return (folders.map(\.path), flags) }
        let chosen = folders.min { rank($0.label, $0.path) < rank($1.label, $1.path) }!
        for other in folders where other.path != chosen.path {
            // System labels by their folder's name (\Inbox → INBOX), user labels as written.
            let name = other.label.hasPrefix("\\") ? other.path.displayName : other.label
            if let keyword = Keyword(Self.keywordText(name)) { flags.insert(.keyword(keyword)) }
        }
        return ([chosen.path], flags)
    }

    /// Lower ranks win: the explicit priority, then user labels by name, then Sent, Drafts, INBOX.
    private func rank(_ label: String, _ path: FolderPath) -> (Int, Int, String) {
        let name = path.isInbox ? "INBOX" : label
        if let index = priority.firstIndex(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) { return (0, index, "") }
        if path.isInbox { return (4, 0, "") }
        switch path.role {
        case .sent?: return (2, 0, "")
        case .drafts?: return (3, 0, "")
        default: return (1, 0, label.lowercased())
        }
    }

    /// A label as an IMAP keyword: spaces and characters keywords cannot hold become `_`.
    static func keywordText(_ label: String) -> String {
        String(label.unicodeScalars.map { scalar -> Character in
            let forbidden = "(){%*\"\\] "
            return scalar.value > 0x20 && scalar.value < 0x7f && !forbidden.unicodeScalars.contains(scalar) ? Character(scalar) : "_"
        })
    }
}
