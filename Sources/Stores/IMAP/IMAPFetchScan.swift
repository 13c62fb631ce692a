import Foundation
import IMAPClient
import IMAPCore
import MailCore

/// One `UID FETCH` whose results are small per message — UIDs, flags, sizes, dates, a header
/// field, or a body only to fingerprint it — delivered one message at a time, so a folder of any
/// size is scanned in bounded memory.
struct IMAPFetchScan {
    /// What the FETCH said about one message.
    struct Message {
        var uid: UInt32
        var size: Int?
        var internalDate: Date?
        var flags: FlagSet?
        /// The first ``keptBodyBytes`` bytes of the body section, when one was fetched.
        var body: [UInt8]
        /// The fingerprint of the whole body section (meaningful for `BODY.PEEK[]`).
        var fingerprint: Fingerprint?
        /// Gmail's labels (`X-GM-LABELS`) and message id (`X-GM-MSGID`), when asked for.
        var gmailLabels: [[UInt8]]?
        var gmailMessageID: UInt64?
    }

    /// Largest number of UIDs a scan asks for per command; larger sets are split.
    static let maximumUIDsPerCommand = 5_000

    /// Runs `UID FETCH uids (items)` and calls `each` per message. Throws the IMAP error of a
    /// failed command (the caller maps it into a ``MailError``).
    static func run(
        _ connection: IMAPConnection, uids: UIDSet, items: [String], changedSince: UInt64? = nil, keptBodyBytes: Int = 0,
        _ each: (Message) throws -> Void
    ) async throws {
        guard !uids.isEmpty else { return }
        let stream = connection.makeFetchStream()
        let tag = try await connection.fetch(uids, items: items, changedSince: changedSince, into: stream)
        try await collect(stream, tag: tag, keptBodyBytes: keptBodyBytes, each)
    }

    /// Every message of the selected folder (`exists` from its SELECT or EXAMINE): `UID FETCH
    /// 1:*`, or — when `limit` is below `exists` — `FETCH` by message number, one slice of at
    /// most `limit` messages per command. Sliced, `changedSince` is not used (all are listed).
    static func runFolder(
        _ connection: IMAPConnection, exists: UInt32, limit: IMAPMessageLimit, items: [String], changedSince: UInt64? = nil,
        keptBodyBytes: Int = 0, _ each: (Message) throws -> Void
    ) async throws {
        guard exists > 0 else { return }
        guard let slices = limit.slices(exists: exists) else {
            return try await run(
                connection, uids: UIDSet(ranges: [1...UInt32.max]), items: items, changedSince: changedSince,
                keptBodyBytes: keptBodyBytes, each)
        }
        for slice in slices {
            let stream = connection.makeFetchStream()
            let tag = try await connection.fetch(messageNumbers: slice, items: items, into: stream)
            try await collect(stream, tag: tag, keptBodyBytes: keptBodyBytes, each)
        }
    }

    /// Reads one FETCH command's responses from `stream` until its completion `tag`.
    private static func collect(
        _ stream: FetchStream, tag: String, keptBodyBytes: Int, _ each: (Message) throws -> Void
    ) async throws {
        var builder: FingerprintBuilder?
        var body: [UInt8] = []
        var fingerprint: Fingerprint?
        for try await element in stream.events {
            switch element {
            case .event(.bodyBegin):
                builder = FingerprintBuilder()
                body = []
            case .event(.bodyBytes(let buffer)):
                buffer.withUnsafeReadableBytes { bytes in
                    builder?.update(bytes)
                    if body.count < keptBodyBytes {
                        body += bytes.prefix(keptBodyBytes - body.count)
                    }
                }
            case .event(.bodyEnd):
                fingerprint = builder?.finish()
                builder = nil
            case .event(.response(.untagged(.fetch(_, let attributes)))):
                var message = Message(uid: 0, body: body, fingerprint: fingerprint)
                for attribute in attributes {
                    switch attribute {
                    case .uid(let value): message.uid = value
                    case .rfc822Size(let value): message.size = min(value, 1 << 40)
                    case .internalDate(let text): message.internalDate = MessageDate.parseIMAP(text)
                    case .flags(let names): message.flags = FlagSet(names.compactMap(Flag.init(imap:)))
                    case .inlineBody(_, let bytes): message.body = Array(bytes.prefix(keptBodyBytes))
                    case .gmailLabels(let labels): message.gmailLabels = labels
                    case .gmailMessageID(let id): message.gmailMessageID = id
                    default: break
                    }
                }
                body = []
                fingerprint = nil
                if message.uid != 0 { try each(message) }
            case .completed(let completed, let response):
                guard completed == tag else { continue }
                stream.finish()
                guard response.status == .ok else {
                    throw IMAPError.commandFailed(command: "FETCH", status: response.status, text: response.text)
                }
                return
            default:
                break
            }
        }
        throw IMAPError.connectionClosed(reason: "the FETCH stream ended early")
    }
}
