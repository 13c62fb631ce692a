import Foundation
import IMAPClient
import IMAPCore
import MailCore

extension IMAPStore {
    /// Most UIDs per `UID STORE` / `UID EXPUNGE` of a removal.
    static let removalChunk = 500

    /// Deletes the messages whose copies are confirmed (`--delete-from-source`).
    ///
    /// SELECT (read-write), then only keys of the folder's current UIDVALIDITY are considered (a
    /// key from another one names a message of a folder since replaced: it stays, and the error
    /// thrown afterwards says so). `UID FETCH (FLAGS INTERNALDATE)` tells which of them still
    /// exist and when they arrived; with a cutoff, only those whose INTERNALDATE is before it go.
    /// With UIDPLUS, each chunk of UIDs is `UID STORE +FLAGS.SILENT (\Deleted)` then
    /// `UID EXPUNGE` of exactly those UIDs, so no other message is touched. Without UIDPLUS the
    /// only way is CLOSE, which expunges every `\Deleted` message of the folder, including ones
    /// someone else marked: refused unless ``RemovalRequest/allowsPlainExpunge`` is set. The count
    /// removed is what a `UID SEARCH` afterwards no longer finds. If STORE or EXPUNGE fails, the
    /// `\Deleted` flags just added are taken back (best effort).
    public func removeCopied(_ request: RemovalRequest, in folder: FolderInfo) async throws -> RemovalResult {
        guard !request.keys.isEmpty else { return RemovalResult(removed: 0, kept: 0) }
        guard serverCapabilities.contains("UIDPLUS") || request.allowsPlainExpunge else {
            throw MailError(
                .unsupported, scope: .folder, retry: .never,
                "nothing was deleted: the server lacks UIDPLUS, so deleting would expunge every \\Deleted message in "
                    + "the folder, including ones marked by others; --force-expunge allows it",
                folder: folder.path)
        }
        let connection = try await pool.acquire()
        var removal = IMAPRemoval(
            connection: connection, folder: folder.path, mailbox: mailbox(for: folder.path), request: request,
            limit: messageLimit(connection))
        let result: RemovalResult
        do {
            result = try await removal.run()
            if connection.capabilities.contains("UNSELECT") {
                _ = try? await connection.executeAllowingFailure(.unselect)  // never CLOSE: it would expunge
            }
            await pool.release(connection)
        } catch let error as IMAPError {
            connection.close()  // in an unknown state: selected read-write, maybe mid-command
            await pool.release(connection)
            var mailError = Self.mailError(error, scope: .folder, folder: folder.path)
            mailError.scope = .folder
            mailError.summary = "\(removal.progressSummary): \(error.description)"
            throw mailError
        } catch {
            // One of ours: the conversation is in order (a folder may be left selected; the next
            // user SELECTs or EXAMINEs, which closes it without expunging).
            await pool.release(connection)
            throw error
        }
        if let stale = removal.staleKeys(removed: result.removed) {
            throw removal.error(.verificationFailed, retry: .never, stale)
        }
        return result
    }
}
