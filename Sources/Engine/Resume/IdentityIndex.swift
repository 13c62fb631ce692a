import Foundation
import MailCore

/// The messages a destination folder holds, by identity, for `--dedup` and for matching again
/// after the destination folder was replaced.
///
/// A message matches a stored one with the same Message-ID and the same size (with CRLF line
/// endings); among several such, one with the same arrival date to the second is preferred. The
/// date does not have to agree: the copy a POP3 client downloaded is dated when it was
/// downloaded, the one still on the server when it arrived. A message without a Message-ID
/// matches by fingerprint, and so does any message a store lists without a Message-ID (an
/// archive's manifest identifies messages by content only). Each stored message matches at
/// most one message, so two copies in the source need two in the destination, and two
/// different messages that share a Message-ID are both copied.
struct IdentityIndex {
    private var byMessageID: [String: [StoredIdentity]] = [:]
    private var byFingerprint: [Fingerprint: [String]] = [:]

    init(_ identities: [StoredIdentity]) {
        for identity in identities {
            if let messageID = identity.messageID {
                byMessageID[messageID, default: []].append(identity)
            } else if let fingerprint = identity.fingerprint {
                byFingerprint[fingerprint, default: []].append(identity.reference)
            }
        }
    }

    /// The reference of a stored message with `envelope`'s identity, which is then used up.
    mutating func claim(_ envelope: MessageEnvelope) throws -> String? {
        guard let messageID = envelope.messageID else {
            guard var references = byFingerprint[envelope.fingerprint], !references.isEmpty else { return nil }
            let reference = references.removeFirst()
            byFingerprint[envelope.fingerprint] = references
            return reference
        }
        guard var candidates = byMessageID[messageID], !candidates.isEmpty else {
            // A store that identifies its messages by content only (an archive's manifest).
            guard var references = byFingerprint[envelope.fingerprint], !references.isEmpty else { return nil }
            let reference = references.removeFirst()
            byFingerprint[envelope.fingerprint] = references
            return reference
        }
        let size = try envelope.data.crlfSize()
        let seconds = envelope.internalDate.map { Int($0.timeIntervalSince1970.rounded(.down)) }
        let sameDate = candidates.firstIndex { candidate in
            guard candidate.crlfSize == size, let seconds, let date = candidate.internalDate else { return false }
            return Int(date.timeIntervalSince1970.rounded(.down)) == seconds
        }
        guard let index = sameDate ?? candidates.firstIndex(where: { $0.crlfSize == size }) else { return nil }
        let reference = candidates.remove(at: index).reference
        byMessageID[messageID] = candidates
        return reference
    }
}
