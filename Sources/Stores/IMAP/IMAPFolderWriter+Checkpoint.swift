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

    func locate(_ messages: [PendingMessage]) async throws -> [SourceKey: String] {
        guard !messages.isEmpty else { return [:] }
        do {
            try await select()
            try await settle()
            return try await find(messages).mapValues { "\(uidValidity):\($0)" }
        } catch let error as IMAPError {
            throw IMAPStore.mailError(error, scope: .folder, folder: folder)
        }
    }

    /// The UIDs of `messages` in the selected folder. Candidates are what `UID SEARCH` finds from
    /// each message's position on (by Message-ID; messages without one, among those lacking the
    /// header); a candidate matches when its fingerprint equals the message's. Each stored message
    /// matches at most one pending message.
    func find(_ messages: [PendingMessage]) async throws -> [SourceKey: UInt32] {
        func lowest(_ position: String?) -> UInt32 {
            guard let position, let colon = position.firstIndex(of: ":"), position[..<colon] == String(uidValidity),
                let next = UInt32(position[position.index(after: colon)...])
            else { return 1 }  // no position, or the folder was replaced since: search all of it
            return max(next, 1)
        }
        let limit = store.messageLimit(connection)
        var scopes: [[SearchArgument]] = [[]]
        if limit.slices(exists: exists) != nil {
            // Under a message limit: the UIDs from the lowest position on, listed in slices, then
            // each search names at most the limit of them (UIDs do not shift with expunges).
            let floor = messages.map { lowest($0.position) }.min() ?? 1
            var uids: [UInt32] = []
            try await IMAPFetchScan.runFolder(connection, exists: exists, limit: limit, items: ["UID"]) { message in
                if message.uid >= floor { uids.append(message.uid) }
            }
            uids.sort()
            scopes = limit.uidScopes(uids)
            guard !scopes.isEmpty else { return [:] }
        }
        var searches: [(from: UInt32, command: IMAPConnection.Submitted)] = []
        var headerless: UInt32?
        for message in messages {
            let from = lowest(message.position)
            if let messageID = message.record.messageID, !messageID.isEmpty {
                for scope in scopes {
                    guard let submitted = try? await connection.submit(
                        .uidSearch(scope + [.key("UID"), .set(UIDSet(ranges: [from...UInt32.max])), .key("HEADER"), .string("Message-ID"), .string(messageID)]))
                    else { continue }
                    searches.append((from, submitted))
                }
            } else {
                headerless = min(headerless ?? from, from)
            }
        }
        if let from = headerless {
            for scope in scopes {
                searches.append(
                    (from, try await connection.submit(
                        .uidSearch(scope + [.key("UID"), .set(UIDSet(ranges: [from...UInt32.max])), .key("NOT"), .key("HEADER"), .string("Message-ID"), .string("")]))))
            }
        }
        var candidates = UIDSet()
        for (from, submitted) in searches {
            let result = try await submitted.result()
            guard result.tagged.status == .ok else { continue }
            for response in result.untagged {
                guard case .search(let ids, _) = response else { continue }
                for uid in ids where uid >= from { candidates.insert(uid...uid) }
            }
        }
        guard !candidates.isEmpty else { return [:] }
        var byFingerprint: [Fingerprint: [UInt32]] = [:]
        for chunk in candidates.values.chunked(limit.chunk(IMAPFetchScan.maximumUIDsPerCommand)) {
            try await IMAPFetchScan.run(connection, uids: UIDSet(chunk), items: ["UID", "BODY.PEEK[]"]) { message in
                if let fingerprint = message.fingerprint { byFingerprint[fingerprint, default: []].append(message.uid) }
            }
        }
        var found: [SourceKey: UInt32] = [:]
        for message in messages {
            let from = lowest(message.position)
            guard var uids = byFingerprint[message.record.fingerprint] else { continue }
            uids.sort()
            guard let index = uids.firstIndex(where: { $0 >= from }) else { continue }
            found[message.record.key] = uids.remove(at: index)
            byFingerprint[message.record.fingerprint] = uids
        }
        return found
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
