import Foundation
import MailCore
import MailFormats

extension MaildirStore {
    /// Deletes the message files whose copies are confirmed (`--delete-from-source`).
    ///
    /// A key is the file name's base, so a file a mail client renamed to change its flags is still
    /// found. A file goes only when its modification time (the arrival date this store reports)
    /// is before the cutoff and, when the checkpoint recorded a fingerprint, its content still has
    /// it; see ``MaildirRemoval``. Files that fail a check stay, and the error thrown afterwards
    /// says how many were deleted and which were kept and why.
    public func removeCopied(_ request: RemovalRequest, in folder: FolderInfo) async throws -> RemovalResult {
        guard !request.keys.isEmpty else { return RemovalResult(removed: 0, kept: 0) }
        let directory: String
        let outcome: MaildirRemoval.Outcome
        do {
            directory = try tree.directory(for: folder.path)
            outcome = try MaildirRemoval.remove(
                keys: Set(request.keys.map(\.value)),
                fingerprints: Dictionary(uniqueKeysWithValues: request.fingerprints.map { ($0.key.value, $0.value) }),
                olderThan: request.olderThan, in: directory)
        } catch let error as MailError {
            var failure = error.withScope(.folder).inFolder(folder.path)
            failure.summary = "nothing was deleted: \(error.summary)"
            throw failure
        }
        if let failure = outcome.failure {
            var error = failure.withScope(.folder).inFolder(folder.path)
            error.summary = "deleting copied messages stopped after \(outcome.removed) were deleted; the rest were kept: \(failure.summary)"
            throw error
        }
        var doubts: [String] = []
        if !outcome.changed.isEmpty {
            doubts.append(
                "\(outcome.changed.count) whose file no longer has the content that was copied (\(Self.sample(outcome.changed)))")
        }
        if !outcome.ambiguous.isEmpty {
            doubts.append(
                "\(outcome.ambiguous.count) whose name more than one file carries (\(Self.sample(outcome.ambiguous)))")
        }
        guard doubts.isEmpty else {
            throw MailError(
                .verificationFailed, scope: .folder, retry: .never,
                "\(outcome.removed) copied message(s) were deleted; kept "
                    + doubts.joined(separator: " and ") + "; they stay in the source",
                folder: folder.path, path: directory)
        }
        return RemovalResult(removed: outcome.removed, kept: outcome.kept)
    }

    /// The first few keys of a list, for an error message.
    private static func sample(_ keys: [String]) -> String {
        keys.prefix(3).joined(separator: ", ") + (keys.count > 3 ? ", …" : "")
    }
}
