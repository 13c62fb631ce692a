import Foundation
import IMAPClient
import IMAPCore
import MailCore

/// What a resumed run asks of an IMAP destination folder: its UIDVALIDITY, where new messages
/// will appear (UIDNEXT), which unconfirmed messages arrived, what it already holds, and flag
/// updates. Every lookup is confirmed by content (a fingerprint of the stored message), never by
/// a header alone.
extension IMAPFolderWriter {
    var validity: String? { uidValidity == 0 ? nil : String(uidValidity) }

    func position() async throws -> String? { currentPosition() }

    /// `uidvalidity:uidnext` — a lower bound for the UIDs of the next messages stored.
    func currentPosition() -> String? {
        uidValidity == 0 ? nil : "\(uidValidity):\(max(uidNext, 1))"
    }

    /// Re-selects, waits for the folder to settle, then finds the messages by content
    /// (``find(_:excluding:)``: by Message-ID where it can be searched for, else by the
    /// fingerprint of every message from the saved UIDNEXT on).
    func locate(_ messages: [PendingMessage]) async throws -> [SourceKey: String] {
        try await locate(messages, excluding: [])
    }

    /// ``locate(_:)``, taking none of the `claimed` UIDs (references of this UIDVALIDITY).
    func locate(_ messages: [PendingMessage], excluding claimed: Set<String>) async throws -> [SourceKey: String] {
        guard !messages.isEmpty else { return [:] }
        do {
            try await select()
            try await settle()
            return try await find(messages, excluding: claimedUIDs(claimed)).mapValues { "\(uidValidity):\($0)" }
        } catch let error as IMAPError {
            throw IMAPStore.mailError(error, scope: .folder, folder: folder)
        }
    }

    /// Message-ID, size and arrival date of every message (one FETCH of a header field), and
    /// fingerprints for those without a Message-ID.
    func existingMessages() async throws -> [StoredIdentity] {
        do {
            try await select()
            guard exists > 0 else { return [] }
            var identities: [StoredIdentity] = []
            var headerless: [Int] = []
            let limit = store.messageLimit(connection)
            try await IMAPFetchScan.runFolder(
                connection, exists: exists, limit: limit,
                items: ["UID", "RFC822.SIZE", "INTERNALDATE", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"], keptBodyBytes: 16 << 10
            ) { message in
                let messageID = HeaderScanner.scan(message.body).messageID
                if messageID == nil { headerless.append(identities.count) }
                identities.append(
                    StoredIdentity(
                        reference: "\(uidValidity):\(message.uid)", messageID: messageID, crlfSize: message.size ?? 0,
                        internalDate: message.internalDate, fingerprint: nil))
            }
            if !headerless.isEmpty {
                var position: [UInt32: Int] = [:]
                for index in headerless {
                    if let uid = SourceKey(identities[index].reference).ordinal.map(UInt32.init(truncatingIfNeeded:)) {
                        position[uid] = index
                    }
                }
                for chunk in position.keys.sorted().chunked(limit.chunk(IMAPFetchScan.maximumUIDsPerCommand)) {
                    try await IMAPFetchScan.run(connection, uids: UIDSet(chunk), items: ["UID", "BODY.PEEK[]"]) { message in
                        if let index = position[message.uid] { identities[index].fingerprint = message.fingerprint }
                    }
                }
            }
            return identities
        } catch let error as IMAPError {
            throw IMAPStore.mailError(error, scope: .folder, folder: folder)
        }
    }

    /// `UID STORE uids FLAGS.SILENT (flags)`, one command per distinct flag set, pipelined.
    /// References from another UIDVALIDITY are not touched (`nil`).
    func updateFlags(_ changes: [(reference: String, flags: FlagSet)]) async throws -> [String?] {
        var results = [String?](repeating: nil, count: changes.count)
        var groups: [FlagSet: [(index: Int, uid: UInt32)]] = [:]
        for (index, change) in changes.enumerated() {
            let parts = change.reference.split(separator: ":")
            guard parts.count == 2, parts[0] == String(uidValidity), let uid = UInt32(parts[1]) else { continue }
            groups[change.flags, default: []].append((index, uid))
        }
        do {
            var submitted: [([(index: Int, uid: UInt32)], IMAPConnection.Submitted)] = []
            for (flags, members) in groups {
                for chunk in members.chunked(store.messageLimit(connection).chunk(1_000)) {
                    let command = Command.uidStore(
                        UIDSet(chunk.map(\.uid)), operation: "FLAGS.SILENT", flags: imapFlags(flags).0)
                    submitted.append((Array(chunk), try await connection.submit(command)))
                }
            }
            for (members, command) in submitted where try await command.result().tagged.status == .ok {
                for member in members { results[member.index] = changes[member.index].reference }
            }
        } catch let error as IMAPError {
            throw IMAPStore.mailError(error, scope: .folder, folder: folder)
        }
        return results
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
