import Foundation
import IMAPClient
import IMAPCore
import MailCore

/// One removal (``IMAPStore/removeCopied(_:in:)``) on one connection: SELECT, find which
/// requested UIDs exist and qualify, mark and expunge them, count what is gone. It remembers
/// what it has done so far, so that an error can say what was and was not deleted.
struct IMAPRemoval {
    let connection: IMAPConnection
    let folder: FolderPath
    let mailbox: MailboxName
    let request: RemovalRequest
    /// Most messages per command; chunks are cut to it.
    let limit: IMAPMessageLimit

    private var validity: UInt32 = 0
    /// Keys of another UIDVALIDITY (or not `validity:uid` at all), kept.
    private var foreign: [SourceKey] = []
    /// UIDs marked `\Deleted` by us and not yet expunged or unmarked.
    private var marked: [UInt32] = []
    /// UIDs whose `UID EXPUNGE` (or CLOSE) the server confirmed.
    private var expunged = 0
    /// Whether an EXPUNGE or CLOSE was sent whose answer did not come.
    private var expungeUncertain = false

    init(connection: IMAPConnection, folder: FolderPath, mailbox: MailboxName, request: RemovalRequest, limit: IMAPMessageLimit) {
        self.connection = connection
        self.limit = limit
        self.folder = folder
        self.mailbox = mailbox
        self.request = request
    }

    mutating func run() async throws -> RemovalResult {
        let uidPlus = connection.capabilities.contains("UIDPLUS")
        guard uidPlus || request.allowsPlainExpunge else {  // checked before; capabilities can differ per connection
            throw error(.unsupported, retry: .never, "nothing was deleted: the server lacks UIDPLUS")
        }
        try await select()
        var requested: [UInt32] = []
        for key in request.keys {
            let parts = key.value.split(separator: ":")
            if parts.count == 2, UInt32(parts[0]) == validity, let uid = UInt32(parts[1]), uid > 0 {
                requested.append(uid)
            } else {
                foreign.append(key)
            }
        }
        requested.sort()
        guard !requested.isEmpty else { return RemovalResult(removed: 0, kept: 0) }

        // Which still exist, when they arrived, and which were \Deleted already.
        let wanted = Set(requested)
        var present: [UInt32: (date: Date?, deleted: Bool)] = [:]
        for chunk in requested.chunked(limit.chunk(IMAPFetchScan.maximumUIDsPerCommand)) {
            try await IMAPFetchScan.run(connection, uids: UIDSet(chunk), items: ["UID", "FLAGS", "INTERNALDATE"]) { message in
                guard wanted.contains(message.uid) else { return }  // an unsolicited update
                present[message.uid] = (message.internalDate, message.flags?.contains(.deleted) ?? false)
            }
        }
        var targets: [UInt32] = []
        var kept = 0
        for uid in requested {
            guard let state = present[uid] else { continue }  // expunged meanwhile: not counted
            if let cutoff = request.olderThan, !(state.date.map { $0 < cutoff } ?? false) {
                kept += 1
            } else {
                targets.append(uid)
            }
        }
        guard !targets.isEmpty else { return RemovalResult(removed: 0, kept: kept) }
        let alreadyDeleted = Set(targets.filter { present[$0]?.deleted == true })

        if uidPlus {
            for chunk in targets.chunked(limit.chunk(IMAPStore.removalChunk)) {
                try await mark(Array(chunk), alreadyDeleted: alreadyDeleted)
                try await expunge(.uidExpunge(UIDSet(chunk)), count: chunk.count, alreadyDeleted: alreadyDeleted)
            }
        } else {
            for chunk in targets.chunked(limit.chunk(IMAPStore.removalChunk)) {
                try await mark(Array(chunk), alreadyDeleted: alreadyDeleted)
            }
            try await expunge(.close, count: targets.count, alreadyDeleted: alreadyDeleted)
            _ = try await connection.execute(.examine(mailbox, condStore: false))  // CLOSE left no folder selected
        }

        // Count what is really gone; what the server kept stays marked and is reported.
        var remaining: [UInt32] = []
        for chunk in targets.chunked(limit.chunk(IMAPFetchScan.maximumUIDsPerCommand)) {
            let result = try await connection.execute(.uidSearch([.key("UID"), .set(UIDSet(chunk))]))
            let asked = Set(chunk)
            for case .search(let ids, _) in result.untagged { remaining += ids.filter { asked.contains($0) } }
        }
        let removed = targets.count - Set(remaining).count
        guard remaining.isEmpty else {
            throw error(
                .unwritable, retry: .later,
                "\(removed) copied message(s) were deleted; \(Set(remaining).count) marked \\Deleted were not expunged "
                    + "by the server and stay (UIDs \(UIDSet(remaining)))")
        }
        return RemovalResult(removed: removed, kept: kept)
    }

    /// SELECT read-write; learns UIDVALIDITY. A folder the server opens read-only is refused.
    private mutating func select() async throws {
        let selected = try await connection.execute(.select(mailbox, condStore: false))
        var readOnly = false
        for case .condition(.ok, let text) in selected.untagged {
            switch text.code {
            case .uidValidity(let value)?: validity = value
            case .readOnly?: readOnly = true
            default: break
            }
        }
        if case .readOnly? = selected.tagged.text.code { readOnly = true }
        guard !readOnly else {
            throw error(.unwritable, retry: .never, "nothing was deleted: the server opens this folder read-only")
        }
        guard validity != 0 else {
            throw error(.unsupported, retry: .never, "nothing was deleted: the server reported no UIDVALIDITY for the folder")
        }
    }

    /// `UID STORE chunk +FLAGS.SILENT (\Deleted)`; on failure, takes back what it may have set.
    private mutating func mark(_ chunk: [UInt32], alreadyDeleted: Set<UInt32>) async throws {
        marked += chunk.filter { !alreadyDeleted.contains($0) }
        let result = try await connection.executeAllowingFailure(
            .uidStore(UIDSet(chunk), operation: "+FLAGS.SILENT", flags: ["\\Deleted"]))
        guard result.tagged.status == .ok else {
            await unmark()
            throw error(
                .unwritable, retry: .later,
                "\(progressSummary): the server refused to mark messages \\Deleted: \(ServerText.sanitize(result.tagged.text.text))")
        }
    }

    /// Sends the EXPUNGE (or CLOSE) for `count` marked messages; on failure, unmarks them.
    private mutating func expunge(_ command: Command, count: Int, alreadyDeleted: Set<UInt32>) async throws {
        expungeUncertain = true
        let result = try await connection.executeAllowingFailure(command)
        expungeUncertain = false
        guard result.tagged.status == .ok else {
            await unmark()
            throw error(
                .unwritable, retry: .later,
                "\(progressSummary): the server refused to expunge: \(ServerText.sanitize(result.tagged.text.text))")
        }
        expunged += count
        marked = []
    }

    /// Best effort: removes the `\Deleted` flags this removal set and has not expunged.
    private mutating func unmark() async {
        for chunk in marked.chunked(limit.chunk(IMAPStore.removalChunk)) {
            _ = try? await connection.executeAllowingFailure(
                .uidStore(UIDSet(chunk), operation: "-FLAGS.SILENT", flags: ["\\Deleted"]))
        }
        marked = []
    }

    /// What was deleted before a failure, as the start of its summary.
    var progressSummary: String {
        var text = expunged == 0 ? "nothing was deleted" : "deleting stopped after \(expunged) copied message(s) were deleted"
        if expungeUncertain { text += " (the last expunge got no answer: it may have deleted more)" }
        if !marked.isEmpty { text += "; \(marked.count) copied message(s) may be left marked \\Deleted" }
        return text
    }

    /// An explanation for keys that were not considered because the folder was replaced.
    func staleKeys(removed: Int) -> String? {
        guard !foreign.isEmpty else { return nil }
        let sample = foreign.prefix(3).map(\.value).joined(separator: ", ") + (foreign.count > 3 ? ", …" : "")
        return "\(removed) copied message(s) were deleted; \(foreign.count) were kept: their keys (\(sample)) belong to another UIDVALIDITY "
            + "than the folder's \(validity), so the folder was replaced since they were copied and those UIDs may "
            + "now name other messages"
    }

    func error(_ code: MailError.Code, retry: MailError.Retry, _ summary: String) -> MailError {
        MailError(code, scope: .folder, retry: retry, summary, folder: folder)
    }
}
