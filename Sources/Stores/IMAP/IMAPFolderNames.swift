import Foundation
import IMAPCore
import MailCore

/// How one server spells folder names: its personal namespace prefix (`INBOX.` on Courier and
/// Cyrus), hierarchy delimiter, and encoding (modified UTF-7, or UTF-8 with UTF8=ACCEPT).
struct IMAPFolderNames: Sendable {
    var prefix: [UInt8]
    var delimiter: Character?
    var utf8: Bool

    /// The folder a LIST entry names, with the prefix taken off; `nil` for names outside the
    /// personal namespace (other users', shared).
    ///
    /// A name that does not split into levels (`/etc/x` under `/`, `a/../../x` under `.`: an
    /// empty level) is one folder whose name is the whole of it — never dropped; the
    /// destination escapes what it cannot hold (`/` and `.` become `\2f` and `\2e` in a Maildir).
    func path(for entry: ListEntry, otherNamespaces: [[UInt8]]) -> FolderPath? {
        let raw = entry.name
        if MailboxName(bytes: raw) == .inbox { return .inbox }
        if otherNamespaces.contains(where: { !$0.isEmpty && raw.starts(with: $0) }) { return nil }
        var bytes = raw
        if !prefix.isEmpty && raw.starts(with: prefix) { bytes = Array(raw.dropFirst(prefix.count)) }
        guard !bytes.isEmpty else { return nil }
        let name = MailboxName(bytes: bytes).decoded(utf8: utf8) ?? String(decoding: bytes, as: UTF8.self)
        let delimiter = entry.delimiter ?? self.delimiter
        return FolderPath(parsing: name, delimiter: delimiter) ?? FolderPath([name])
    }

    /// The wire name of `path`; a component containing the delimiter has it replaced by `_`
    /// (the note says so), since the server would read it as a level.
    func mailbox(for path: FolderPath) -> (name: MailboxName, note: String?) {
        if path.isInbox { return (.inbox, nil) }
        var note: String?
        var components = path.components
        if let delimiter {
            for (index, component) in components.enumerated() where component.contains(delimiter) {
                components[index] = component.replacingOccurrences(of: String(delimiter), with: "_")
                note = "\"\(component)\" contains the server's hierarchy delimiter \"\(delimiter)\"; it was replaced by \"_\""
            }
        }
        let joined = delimiter.map { components.joined(separator: String($0)) } ?? components.joined(separator: "_")
        let encoded = MailboxName(joined, utf8: utf8).bytes
        // INBOX's children live under the INBOX. prefix already on servers that have one.
        if path.components.first == "INBOX", let delimiter, prefix == Array("INBOX\(delimiter)".utf8) {
            return (MailboxName(bytes: encoded), note)
        }
        return (MailboxName(bytes: prefix + encoded), note)
    }
}
