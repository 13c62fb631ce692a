import Foundation
import MailCore
import MailFormats

extension MboxStore {
    /// Deletes the messages whose copies are confirmed (`--delete-from-source`) by rewriting the
    /// folder's file (see ``MboxRemoval``: under the mbox locks, through a verified temporary file,
    /// all or nothing).
    ///
    /// A key is an offset (`offset:N`), which does not pin a message: the file may have been
    /// rewritten since the copy. So a message goes only when it starts at a requested offset *and*
    /// its content has the fingerprint the checkpoint recorded for that key; another message now
    /// at that offset is not the one copied and stays (uncounted: the copied one is not there any
    /// more). A requested message without a recorded fingerprint stays, and the error thrown
    /// afterwards says so. With a cutoff, the arrival date (`From ` line, else `Date:`) must be
    /// before it. A gzip-compressed file is refused.
    public func removeCopied(_ request: RemovalRequest, in folder: FolderInfo) async throws -> RemovalResult {
        guard !request.keys.isEmpty else { return RemovalResult(removed: 0, kept: 0) }
        let path: String
        do {
            path = try file(for: folder)
        } catch let error as MailError {
            throw error.withScope(.folder).inFolder(folder.path)
        }
        var kept = 0
        var unverifiable: [String] = []
        let outcome: MboxRemoval.Outcome
        do {
            outcome = try MboxRemoval.remove(path: path, options: readerOptions, lockTimeout: options.lockTimeout) { message in
                let key = SourceKey("offset:\(message.offset)")
                guard request.keys.contains(key) else { return false }
                guard let expected = request.fingerprints[key] else {
                    unverifiable.append(key.value)
                    return false
                }
                guard message.fingerprint == expected else { return false }
                if let cutoff = request.olderThan {
                    guard let date = message.fromLine.date ?? message.headers.date, date < cutoff else {
                        kept += 1
                        return false
                    }
                }
                return true
            }
        } catch let error as MailError {
            var failure = error.withScope(.folder).inFolder(folder.path)
            failure.summary = "nothing was deleted from the mbox: \(error.summary)"
            throw failure
        }
        if let syncFailure = outcome.syncFailure {
            var error = syncFailure.withScope(.folder).inFolder(folder.path)
            error.summary = "\(outcome.removed) copied message(s) were deleted from the mbox, but the change may not "
                + "survive a crash: \(syncFailure.summary)"
            throw error
        }
        guard unverifiable.isEmpty else {
            throw MailError(
                .verificationFailed, scope: .folder, retry: .never,
                "\(outcome.removed) copied message(s) were deleted; kept \(unverifiable.count) whose content the "
                    + "checkpoint has no fingerprint for (an mbox offset alone does not tell the message): "
                    + unverifiable.prefix(3).joined(separator: ", ") + (unverifiable.count > 3 ? ", …" : ""),
                folder: folder.path, path: path)
        }
        return RemovalResult(removed: outcome.removed, kept: kept)
    }
}
