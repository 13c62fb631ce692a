import Foundation
import IMAPClient
import IMAPCore
import MailCore

/// Finding, in the selected destination folder, messages whose outcome a run did not learn: a
/// killed run's in-flight messages, or a batch cut by a dropped connection.
///
/// A message is found only by content: a stored message whose fingerprint equals its own, at a
/// UID no lower than the position saved before it was sent, not claimed by another message. A
/// `UID SEARCH HEADER Message-ID` narrows the candidates where the message's ID can be searched
/// for; every message that search does not find — no Message-ID, one that cannot be searched
/// for (unbracketed, with spaces, folded, 8-bit, empty), a search the server refused or answered
/// wrongly — is then looked for by the fingerprint of every message from its position on. A
/// Message-ID therefore only saves reading messages; it never decides whether one is found.
extension IMAPFolderWriter {
    /// Where a pending message can be: from `from` on; `scan` says whether a fingerprint scan of
    /// everything from there may look for it (not when its position names another UIDVALIDITY:
    /// the folder was replaced since it was sent, so a copy of ours cannot be in it).
    struct LocateScope {
        var from: UInt32
        var scan: Bool
    }

    func locateScope(_ position: String?) -> LocateScope {
        guard let position, let colon = position.firstIndex(of: ":"),
            let next = UInt32(position[position.index(after: colon)...])
        else { return LocateScope(from: 1, scan: true) }  // no position: all of the folder
        guard position[..<colon] == String(uidValidity) else { return LocateScope(from: 1, scan: false) }
        return LocateScope(from: max(next, 1), scan: true)
    }

    /// The UIDs in `references` (`uidvalidity:uid`) of the selected folder's UIDVALIDITY.
    func claimedUIDs(_ references: some Sequence<String>) -> Set<UInt32> {
        let prefix = "\(uidValidity):"
        return Set(references.compactMap { $0.hasPrefix(prefix) ? UInt32($0.dropFirst(prefix.count)) : nil })
    }

    /// The UIDs of `messages` in the selected folder, each stored message matching at most one
    /// pending message and none of `claimed` (UIDs already known to hold other messages).
    func find(_ messages: [PendingMessage], excluding claimed: Set<UInt32> = []) async throws -> [SourceKey: UInt32] {
        guard !messages.isEmpty, exists > 0 else { return [:] }
        let limit = store.messageLimit(connection)
        let floor = messages.map { locateScope($0.position).from }.min() ?? 1
        // Under a message limit: the UIDs from the lowest position on, listed in slices, so that
        // each command names at most the limit of them (UIDs do not shift with expunges).
        var listed: [UInt32]?
        if limit.slices(exists: exists) != nil {
            var uids: [UInt32] = []
            try await IMAPFetchScan.runFolder(connection, exists: exists, limit: limit, items: ["UID"]) { message in
                if message.uid >= floor { uids.append(message.uid) }
            }
            guard !uids.isEmpty else { return [:] }
            listed = uids.sorted()
        }
        var fingerprints: [UInt32: Fingerprint] = [:]
        let candidates = try await searchByMessageID(messages, listed: listed, limit: limit)
        try await fetchFingerprints(candidates, into: &fingerprints, limit: limit)
        var found = match(messages, fingerprints: fingerprints, excluding: claimed)
        let rest = messages.filter { found[$0.record.key] == nil && locateScope($0.position).scan }
        guard !rest.isEmpty else { return found }
        let from = rest.map { locateScope($0.position).from }.min() ?? 1
        let everything: [UInt32]
        if let listed { everything = listed.filter { $0 >= from } } else { everything = try await searchUIDs(from: from) }
        let unread = everything.filter { fingerprints[$0] == nil }
        guard !unread.isEmpty else { return found }
        try await fetchFingerprints(unread, into: &fingerprints, limit: limit)
        found = match(messages, fingerprints: fingerprints, excluding: claimed)
        return found
    }

    /// The text to search the Message-ID field for: the ID without its angle brackets, when that
    /// is a plain token a `HEADER` search finds as a substring of the field as stored (printable
    /// ASCII, no space — a folded, 8-bit or empty ID is found by the fingerprint scan instead).
    /// Without brackets because the recorded ID gains them when the header has none.
    static func searchableMessageID(_ messageID: String?) -> String? {
        guard var id = messageID?[...] else { return nil }
        if id.hasPrefix("<") && id.hasSuffix(">") && id.count >= 2 { id = id.dropFirst().dropLast() }
        guard !id.isEmpty, id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        return String(id)
    }

    /// The UIDs (sorted) that a `HEADER Message-ID` search finds for the messages with a
    /// searchable ID, from each one's position on; a refused search finds nothing.
    private func searchByMessageID(
        _ messages: [PendingMessage], listed: [UInt32]?, limit: IMAPMessageLimit
    ) async throws -> [UInt32] {
        let scopes = listed.map { limit.uidScopes($0) } ?? [[]]
        var searches: [(from: UInt32, command: IMAPConnection.Submitted)] = []
        for message in messages {
            guard let id = Self.searchableMessageID(message.record.messageID) else { continue }
            let from = locateScope(message.position).from
            for scope in scopes {
                let arguments: [SearchArgument] =
                    scope + [.key("UID"), .set(UIDSet(ranges: [from...UInt32.max])), .key("HEADER"), .string("Message-ID"), .string(id)]
                searches.append((from, try await connection.submit(.uidSearch(arguments))))
            }
        }
        var candidates = Set<UInt32>()
        for (from, submitted) in searches {
            let result = try await submitted.result()
            guard result.tagged.status == .ok else { continue }  // the scan looks for it instead
            for case .search(let ids, _) in result.untagged { candidates.formUnion(ids.filter { $0 >= from }) }
        }
        return candidates.sorted()
    }

    /// Every UID from `from` on (`UID SEARCH UID from:4294967295`), sorted.
    private func searchUIDs(from: UInt32) async throws -> [UInt32] {
        let result = try await connection.execute(.uidSearch([.key("UID"), .set(UIDSet(ranges: [from...UInt32.max]))]))
        var uids = Set<UInt32>()
        for case .search(let ids, _) in result.untagged { uids.formUnion(ids.filter { $0 >= from }) }
        return uids.sorted()
    }

    /// Reads `uids` (`BODY.PEEK[]`, in chunks) and records each one's fingerprint.
    private func fetchFingerprints(
        _ uids: [UInt32], into fingerprints: inout [UInt32: Fingerprint], limit: IMAPMessageLimit
    ) async throws {
        for chunk in uids.chunked(limit.chunk(IMAPFetchScan.maximumUIDsPerCommand)) {
            try await IMAPFetchScan.run(connection, uids: UIDSet(chunk), items: ["UID", "BODY.PEEK[]"]) { message in
                if let fingerprint = message.fingerprint { fingerprints[message.uid] = fingerprint }
            }
        }
    }

    /// Pairs each message with a stored one of equal fingerprint at or above its position,
    /// the most constrained (highest position) first, each taking the lowest such UID, so that
    /// equal copies (a message twice in the source) each find their own.
    private func match(
        _ messages: [PendingMessage], fingerprints: [UInt32: Fingerprint], excluding claimed: Set<UInt32>
    ) -> [SourceKey: UInt32] {
        var byFingerprint: [Fingerprint: [UInt32]] = [:]
        for (uid, fingerprint) in fingerprints where !claimed.contains(uid) {
            byFingerprint[fingerprint, default: []].append(uid)
        }
        for key in byFingerprint.keys { byFingerprint[key]?.sort() }
        let ordered = messages.enumerated().sorted {
            let (a, b) = (locateScope($0.element.position).from, locateScope($1.element.position).from)
            return a != b ? a > b : $0.offset < $1.offset
        }
        var found: [SourceKey: UInt32] = [:]
        for (_, message) in ordered where found[message.record.key] == nil {
            let from = locateScope(message.position).from
            guard var uids = byFingerprint[message.record.fingerprint],
                let index = uids.firstIndex(where: { $0 >= from })
            else { continue }
            found[message.record.key] = uids.remove(at: index)
            byFingerprint[message.record.fingerprint] = uids
        }
        return found
    }
}
