import Foundation
import IMAPClient
import IMAPCore
import MailCore

/// Reads one IMAP folder: EXAMINE, the list of UIDs and sizes, then `UID FETCH` batches of
/// bodies with several batches in flight, each body streamed into a spool as it arrives.
///
/// Only the messages the selection includes are fetched; a message larger than the body limit is
/// reported and skipped without fetching it. A dropped connection is reopened (the UIDVALIDITY
/// must not have changed) and reading resumes after the last message handed out.
final class IMAPFolderReader: MessageReader {
    static let fetchItems = ["UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "BODY.PEEK[]"]
    /// Most messages and bytes per FETCH command.
    static let batchMessages = 100
    static let batchBytes = 8 << 20
    static let maximumReconnects = 3

    private let store: IMAPStore
    private let folder: FolderPath
    private let mailbox: MailboxName
    private var connection: IMAPConnection
    private let selection: MessageSelection
    private var released = false

    private var started = false
    private var uidValidity: UInt32 = 0
    private var uids: [UInt32] = []
    private var sizes: [Int] = []
    private var nextIndex = 0
    /// FETCH commands in flight: tag → the index range of `uids` they cover.
    private var inFlight: [(tag: String, range: Range<Int>)] = []
    private var received = Set<UInt32>()
    private var stream: FetchStream?
    private var iterator: (any AsyncIteratorProtocol<FetchStreamElement, any Error>)?
    private var spool: MessageSpool?
    private var body: (MessageData, Fingerprint)?
    private var queued: [SourceItem] = []
    private var reconnects = 0
    /// A reconnect failed half-way (the new connection dropped too): the next round reconnects
    /// again instead of reading a stream that no batch feeds.
    private var needsReconnect = false
    private(set) var bytesConsumed = 0
    /// The sizes of the messages to fetch, once listed.
    private(set) var bytesExpected: Int?
    private var number = 0
    /// Back-offs waited out so far (bounded by `IMAPFolderWriter.maximumThrottles`).
    private var throttled = 0

    init(store: IMAPStore, folder: FolderPath, mailbox: MailboxName, connection: IMAPConnection, selection: MessageSelection) {
        self.store = store
        self.folder = folder
        self.mailbox = mailbox
        self.connection = connection
        self.selection = selection
    }

    var note: String? { nil }

    func next() async throws -> SourceItem? {
        while true {
            if !queued.isEmpty { return queued.removeFirst() }
            do {
                try await store.throttle.waitIfPaused()
                if !started { try await start() }
                if needsReconnect {
                    throw IMAPError.connectionClosed(reason: "the connection dropped again while reconnecting")
                }
                if let item = try await step() {
                    if store.throttle.hasBudget, case .message(let envelope) = item { await store.throttle.transferred(envelope.size) }
                    return item
                }
                if inFlight.isEmpty && nextIndex >= uids.count && queued.isEmpty { return nil }
            } catch let error as IMAPError where error.backoff != nil && throttled < IMAPFolderWriter.maximumThrottles {
                throttled += 1
                await store.throttle.backOff(error.backoff!)
                do {
                    try await store.throttle.waitIfPaused()
                    try await reconnect(after: error, yielding: true)
                } catch let error as IMAPError where error.isTransient && reconnects < Self.maximumReconnects {
                    needsReconnect = true
                    continue
                } catch let error as IMAPError {
                    throw IMAPStore.mailError(error, scope: .folder, folder: folder)
                }
            } catch let error as IMAPError where error.isTransient && reconnects < Self.maximumReconnects {
                do {
                    try await reconnect(after: error)
                } catch let error as IMAPError where error.isTransient && reconnects < Self.maximumReconnects {
                    // The new connection dropped too: reconnect again next round, within the budget.
                    // (Reading on would find no batch in flight and spin without ever ending.)
                    needsReconnect = true
                    continue
                } catch let error as IMAPError {
                    throw IMAPStore.mailError(error, scope: .folder, folder: folder)
                }
            } catch let error as IMAPError {
                throw IMAPStore.mailError(error, scope: .folder, folder: folder)
            }
        }
    }

    func close() {
        guard !released else { return }
        released = true
        stream?.finish()
        let connection = self.connection
        let pool = store.pool
        // Unread FETCH data may still be arriving: do not hand that connection to someone else.
        let clean = inFlight.isEmpty && nextIndex >= uids.count
        Task {
            if clean {
                await pool.release(connection)
            } else {
                connection.close()
                await pool.release(connection)
            }
        }
    }

    /// EXAMINE, then the UIDs and sizes, then the first batches.
    private func start() async throws {
        let examined = try await connection.execute(.examine(mailbox, condStore: false))
        var exists: UInt32 = 0
        var validity: UInt32 = 0
        for response in examined.untagged {
            switch response {
            case .exists(let count): exists = count
            case .condition(.ok, let text):
                if case .uidValidity(let value)? = text.code { validity = value }
            default: break
            }
        }
        if started || uidValidity != 0 {
            guard validity == uidValidity else {
                throw IMAPError.protocolViolation("the folder's UIDVALIDITY changed during the copy; copy it again")
            }
        }
        uidValidity = validity
        if !started {
            if exists > 0 { try await listUIDs(exists: exists) }
        }
        let stream = connection.makeFetchStream()
        self.stream = stream
        iterator = stream.events.makeAsyncIterator()
        inFlight = []
        while inFlight.count < store.options.pipelineDepth, try await sendNextBatch() {}
        // Set here, not by the caller: when the first start fails and a reconnect starts again
        // (listing and sending the first batches), nothing may start a third time. A third
        // EXAMINE would go out behind those batches, whose bodies fill a stream nobody reads, so
        // reading pauses and its answer is never read: the copy would hang with no timeout.
        started = true
    }

    /// `UID FETCH 1:* (UID RFC822.SIZE)` (in slices under a message limit), kept as two
    /// compact arrays.
    private func listUIDs(exists: UInt32) async throws {
        var pairs: [(UInt32, Int)] = []
        let messageLimit = store.messageLimit(connection)
        // A hostile size must not overflow sums: IMAPFetchScan caps each at 2^40.
        try await IMAPFetchScan.runFolder(connection, exists: exists, limit: messageLimit, items: ["UID", "RFC822.SIZE"]) { message in
            pairs.append((message.uid, message.size ?? 0))
        }
        pairs.sort { $0.0 < $1.0 }
        let limit = store.pool.configuration.parserLimits.maximumBodySize
        if !selection.isAll { pairs.removeAll { !selection.includes(SourceKey("\(uidValidity):\($0.0)")) } }
        if let hint = selection.hint, !pairs.isEmpty, let wanted = try await searchHint(hint, uids: pairs.map(\.0), limit: messageLimit) {
            pairs.removeAll { !wanted.contains($0.0) }
        }
        for (uid, size) in pairs where size > limit {
            queued.append(
                .failure(
                    MailError(
                        .tooLarge, scope: .message, retry: .never,
                        "the message is \(size) bytes, over the limit of \(limit) for one message", folder: folder,
                        messageKey: "\(uidValidity):\(uid)")))
        }
        pairs.removeAll { $0.1 > limit }
        uids = pairs.map(\.0)
        sizes = pairs.map(\.1)
        bytesExpected = sizes.reduce(0, +)
    }

    /// The UIDs the run's filter may keep, from `UID SEARCH` (so that messages it leaves out are
    /// never downloaded); `nil` when the hint asks nothing. `BEFORE` and `SINCE` compare dates
    /// only, in the server's time zone, so the search asks for one day more and the engine
    /// filters exactly.
    /// Under a message limit, each search names at most that many of the listed `uids`.
    private func searchHint(_ hint: FilterHint, uids: [UInt32], limit: IMAPMessageLimit) async throws -> Set<UInt32>? {
        var arguments: [SearchArgument] = []
        if let before = hint.arrivedBefore {
            arguments += [.key("BEFORE"), .key(MessageDate.formatIMAPDay(before.addingTimeInterval(86_400)))]
        }
        if let since = hint.arrivedSince {
            arguments += [.key("SINCE"), .key(MessageDate.formatIMAPDay(since.addingTimeInterval(-86_400)))]
        }
        // RFC822.SIZE is what the reader's envelopes carry, so sizes compare exactly.
        if let minimum = hint.minimumSize, minimum > 0 { arguments += [.key("LARGER"), .key(String(minimum - 1))] }
        if let maximum = hint.maximumSize { arguments += [.key("SMALLER"), .key(String(maximum + 1))] }
        if hint.seenOnly { arguments.append(.key("SEEN")) }
        if hint.unseenOnly { arguments.append(.key("UNSEEN")) }
        if hint.unflaggedOnly { arguments.append(.key("UNFLAGGED")) }
        for rule in hint.headerContains { arguments += [.key("HEADER"), .string(rule.field), .string(rule.text)] }
        guard !arguments.isEmpty else { return nil }
        let scopes = limit.uidScopes(uids)
        var wanted = Set<UInt32>()
        for scope in scopes {
            let result = try await connection.executeAllowingFailure(.uidSearch(scope + arguments))
            guard result.tagged.status == .ok else { return nil }  // the engine filters anyway
            for case .search(let ids, _) in result.untagged { wanted.formUnion(ids) }
        }
        return wanted
    }

    /// Sends the next batch of not-yet-requested UIDs; `false` when there are none.
    private func sendNextBatch() async throws -> Bool {
        guard nextIndex < uids.count, let stream else { return false }
        let limit = store.messageLimit(connection).chunk(Self.batchMessages)
        var end = nextIndex
        var bytes = 0
        while end < uids.count && end - nextIndex < limit && (end == nextIndex || bytes + sizes[end] <= Self.batchBytes) {
            bytes += sizes[end]
            end += 1
        }
        let range = nextIndex..<end
        let set = UIDSet(uids[range])
        let tag = try await connection.fetch(set, items: Self.fetchItems, into: stream)
        inFlight.append((tag, range))
        nextIndex = end
        return true
    }

    /// Processes stream elements until a message is complete (or the batches are all done).
    private func step() async throws -> SourceItem? {
        guard !inFlight.isEmpty, var iterator else { return nil }
        defer { self.iterator = iterator }
        while let element = try await iterator.next() {
            switch element {
            case .event(.bodyBegin(_, _, let size)):
                spool = MessageSpool(expectedSize: size)
            case .event(.bodyBytes(let buffer)):
                try buffer.withUnsafeReadableBytes { try spool?.append($0) }
                CopyActivity.current?.touch()  // a long download is progress for the stall watchdog
            case .event(.bodyEnd):
                if let spool { body = try spool.finish() }
                spool = nil
            case .event(.response(.untagged(.fetch(_, let attributes)))):
                if let item = try message(from: attributes) { return item }
            case .completed(let tag, let response):
                guard let index = inFlight.firstIndex(where: { $0.tag == tag }) else { continue }
                let range = inFlight.remove(at: index).range
                reportMissing(in: range, response: response)
                _ = try await sendNextBatch()
                if inFlight.isEmpty {
                    return queued.isEmpty ? nil : queued.removeFirst()
                }
                if !queued.isEmpty { return queued.removeFirst() }
            default:
                break
            }
        }
        throw IMAPError.connectionClosed(reason: "the FETCH stream ended early")
    }

    /// Builds the envelope for a FETCH response that carried a body.
    private func message(from attributes: [FetchAttribute]) throws -> SourceItem? {
        guard let (data, fingerprint) = body else { return nil }  // a flag update, not our FETCH
        body = nil
        var uid: UInt32 = 0
        var flags = FlagSet()
        var date: Date?
        for attribute in attributes {
            switch attribute {
            case .uid(let value): uid = value
            case .flags(let names): for name in names { if let flag = Flag(imap: name) { flags.insert(flag) } }
            case .internalDate(let text): date = MessageDate.parseIMAP(text)
            default: break
            }
        }
        guard uid != 0, received.insert(uid).inserted else { return nil }
        number += 1
        if let index = index(of: uid) { bytesConsumed += sizes[index] }
        return .message(
            try MessageEnvelope(
                data: data, fingerprint: fingerprint, folder: folder, key: SourceKey("\(uidValidity):\(uid)"),
                number: number, flags: flags, internalDate: date))
    }

    /// Where `uid` is in the (sorted) UID list: a binary search, since this runs per message.
    private func index(of uid: UInt32) -> Int? {
        var low = 0
        var high = uids.count
        while low < high {
            let middle = (low + high) / 2
            if uids[middle] < uid { low = middle + 1 } else { high = middle }
        }
        return low < uids.count && uids[low] == uid ? low : nil
    }

    /// Messages of a finished batch that never came: expunged meanwhile (a warning) or refused
    /// by the server (a failure with its reason).
    private func reportMissing(in range: Range<Int>, response: TaggedResponse) {
        for uid in uids[range] where !received.contains(uid) {
            received.insert(uid)
            let error: MailError
            if response.status == .ok {
                error = MailError(
                    .notFound, scope: .message, retry: .never,
                    "the message disappeared from the server before it could be read", folder: folder,
                    messageKey: "\(uidValidity):\(uid)")
                queued.append(.warning(error))
            } else {
                error = MailError(
                    .unreadable, scope: .message, retry: .later,
                    "the server would not send the message: \(ServerText.sanitize(response.text.text))", folder: folder,
                    messageKey: "\(uidValidity):\(uid)")
                queued.append(.failure(error))
            }
        }
    }

    /// Reopens the connection and asks again for everything not yet handed out.
    private func reconnect(after error: IMAPError, yielding: Bool = false) async throws {
        if !yielding { reconnects += 1 }
        needsReconnect = false
        stream?.finish()
        spool = nil
        body = nil
        connection = yielding ? try await store.pool.yield(connection) : try await store.pool.replace(connection)
        // Everything requested but not received is requested again.
        let pending = inFlight.map(\.range)
        inFlight = []
        if let first = pending.map(\.lowerBound).min() { nextIndex = min(nextIndex, first) }
        while nextIndex < uids.count && received.contains(uids[nextIndex]) { nextIndex += 1 }
        try await start()
    }
}
