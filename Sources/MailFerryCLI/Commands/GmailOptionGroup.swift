import Foundation
import ArgumentParser
import MailCore
import Stores

/// How a Gmail source's labels become folders (see `GmailLabelPolicy`).
struct GmailOptionGroup: ParsableArguments {
    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case oneFolder = "one-folder"
        case perLabel = "per-label"
        case folders
    }

    @Option(help: ArgumentHelp(
        "Gmail sources: one-folder (default: each message once, in its first label's folder, other labels as keywords), per-label (a copy in every label's folder) or folders (copy Gmail's folders as they are).",
        valueName: "mode"))
    var gmailLabels: Mode = .oneFolder

    @Option(help: ArgumentHelp("With one-folder: labels to prefer, in order, before user labels, Sent, Drafts and INBOX: 'Clients,Work,INBOX'.", valueName: "labels"))
    var labelPriority: String?

    @Option(help: ArgumentHelp("Folder for Gmail messages without a label (archived; default Archive).", valueName: "folder"))
    var unlabelledFolder: String?

    func validate() throws {
        if let unlabelledFolder, FolderPath(parsing: unlabelledFolder, delimiter: "/") == nil {
            throw ValidationError("--unlabelled-folder \"\(unlabelledFolder)\" is not a folder name")
        }
    }

    /// The policy, or `nil` for `--gmail-labels folders`.
    var policy: GmailLabelPolicy? {
        let mode: GmailLabelPolicy.Mode
        switch gmailLabels {
        case .folders: return nil
        case .oneFolder: mode = .oneFolder
        case .perLabel: mode = .perLabel
        }
        var policy = GmailLabelPolicy(mode: mode)
        policy.priority = (labelPriority ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if let unlabelledFolder, let path = FolderPath(parsing: unlabelledFolder, delimiter: "/") { policy.unlabelled = path }
        return policy
    }

    /// `source` as the label-aware Gmail source when it is a Gmail server (X-GM-EXT-1) and the
    /// mode is not `folders`; the policy applied, if any. `copy` and `verify` both call it, so
    /// verify sees the folders copy made.
    func wrap(_ source: any MessageSource) -> (source: any MessageSource, policy: GmailLabelPolicy?) {
        guard let imap = source as? IMAPStore, GmailLabelSource.applies(to: imap), let policy else { return (source, nil) }
        return (GmailLabelSource(store: imap, policy: policy), policy)
    }
}
