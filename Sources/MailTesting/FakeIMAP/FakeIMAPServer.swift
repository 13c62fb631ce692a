import Foundation

/// An in-process IMAP4rev1 server on 127.0.0.1 (plain TCP, ephemeral port), one thread per
/// connection, serving one shared set of mailboxes: for running MailFerry's real client and the
/// `mailferry` binary (`imap://user@127.0.0.1:PORT --allow-plaintext`) against provider
/// behaviour Dovecot cannot show — Gmail's labels and silently merged duplicates, Office 365's
/// reserved names, connection limits, and throttling replies injected per command.
///
/// ```swift
/// let server = try FakeIMAPServer(.gmail())
/// try server.appendGmail(bytes: Array(message.utf8), labels: ["\\Inbox", "Work"])
/// server.setIntercept { $0.command == "APPEND" && $0.occurrence == 2 ? .reply("{tag} NO [UNAVAILABLE] Try later\r\n") : nil }
/// // … run the client against 127.0.0.1:\(server.port) …
/// #expect(server.messages(in: "[Gmail]/All Mail").count == 1)
/// server.stop()
/// ```
public final class FakeIMAPServer: Sendable {
    /// A message as a test sees it.
    public struct Message: Sendable, Hashable {
        public var uid: UInt32
        public var flags: [String]
        public var internalDate: Date
        public var bytes: [UInt8]
        /// Gmail mode: the record's labels (`\Inbox`, `\Sent`, `Work/Projects`); empty otherwise.
        public var labels: [String]
        /// Gmail mode: X-GM-MSGID and X-GM-THRID (also assigned, unused, in plain mode).
        public var gmailMessageID: UInt64
        public var gmailThreadID: UInt64
    }

    /// A mailbox's state as a test sees it.
    public struct MailboxState: Sendable, Hashable {
        public var name: String
        public var uidValidity: UInt32
        public var uidNext: UInt32
        public var specialUse: String?
        public var subscribed: Bool
        public var selectable: Bool
    }

    /// Why seeding failed.
    public struct SeedError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The port on 127.0.0.1.
    public let port: Int
    public let configuration: Configuration
    let core: FakeIMAPCore

    /// Starts listening at once.
    public init(_ configuration: Configuration = Configuration()) throws {
        self.configuration = configuration
        core = try FakeIMAPCore(configuration: configuration)
        port = core.port
        core.start()
    }

    deinit { core.stop() }

    /// Closes the listener and every connection; returns once the accept thread has ended (≤ 1 s).
    public func stop() { core.stop() }

    // MARK: - Hooks and observation

    /// Replaces the interceptor (the configuration's, at first); `nil` removes it.
    public func setIntercept(_ intercept: (@Sendable (Request) -> Interception?)?) {
        core.counters.withLock { $0.intercept = intercept }
    }

    /// Every command received so far, in order (literals elided).
    public var log: [LoggedCommand] { core.counters.withLock { $0.log } }
    /// Commands refused for touching more messages than ``Configuration/messageLimit``, as
    /// `UID FETCH: 25 messages`.
    public var messageLimitViolations: [String] { core.counters.withLock { $0.limitViolations } }
    /// Most connections open at once so far.
    public var peakConnections: Int { core.counters.withLock { $0.peak } }
    /// Connections accepted so far.
    public var connectionsAccepted: Int { core.counters.withLock { $0.accepted } }
    /// Connections open now.
    public var openConnections: Int { core.counters.withLock { $0.open.count } }
    /// How many commands named `command` (`APPEND`, `UID FETCH`) the server received.
    public func count(of command: String) -> Int { core.counters.withLock { $0.commands[command.uppercased()] ?? 0 } }

    // MARK: - Seeding and inspection

    /// Adds a mailbox (and missing parents). Gmail mode: a user label mailbox unless `specialUse`
    /// names a system one.
    public func addMailbox(_ name: String, specialUse: String? = nil, subscribed: Bool = true) throws {
        do {
            try core.model.addMailbox(name, specialUse: specialUse, subscribed: subscribed, selectable: true)
        } catch {
            throw SeedError(description: "cannot add mailbox \(name): \(error)")
        }
    }

    /// Stores a message in `mailbox` and returns its UID there. Bare LFs become CRLF. Gmail mode:
    /// the message joins All Mail with `mailbox`'s label and `labels`.
    @discardableResult
    public func append(
        bytes: [UInt8], flags: [String] = [], internalDate: Date = Date(), labels: [String] = [], to mailbox: String = "INBOX"
    ) throws -> UInt32 {
        do {
            return try core.model.append(
                to: mailbox, bytes: Self.crlf(bytes), flags: flags, internalDate: internalDate, extraLabels: labels
            ).uid
        } catch {
            throw SeedError(description: "cannot append to \(mailbox): \(error)")
        }
    }

    /// Gmail mode: stores one message in All Mail with `labels` (`\Inbox`, `\Sent`, `\Draft`,
    /// `\Starred`, `\Important`, `\Spam`, `\Trash` or user labels, whose mailboxes are created
    /// when missing); returns its X-GM-MSGID.
    @discardableResult
    public func appendGmail(
        bytes: [UInt8], labels: [String], flags: [String] = [], internalDate: Date = Date(), threadID: UInt64? = nil
    ) throws -> UInt64 {
        guard configuration.gmail else { throw SeedError(description: "appendGmail needs Configuration.gmail()") }
        for label in labels where !label.hasPrefix("\\") && (try? core.model.withMailbox(label) { _ in () }) == nil {
            try addMailbox(label)
        }
        guard let allMail = core.model.mailboxes().first(where: { $0.view == .allMail })?.name else {
            throw SeedError(description: "no All Mail mailbox")
        }
        do {
            let result = try core.model.append(
                to: allMail, bytes: Self.crlf(bytes), flags: flags, internalDate: internalDate, extraLabels: labels,
                threadID: threadID)
            return core.model.state.withLock { $0.records[result.record]?.gmailMessageID ?? 0 }
        } catch {
            throw SeedError(description: "cannot append to All Mail: \(error)")
        }
    }

    /// Gmail mode: replaces the labels of the message with X-GM-MSGID `id` (as a user relabelling
    /// it in the web interface); label mailboxes are created when missing. False when no such message.
    @discardableResult
    public func setGmailLabels(_ id: UInt64, _ labels: [String]) throws -> Bool {
        for label in labels where !label.hasPrefix("\\") && (try? core.model.withMailbox(label) { _ in () }) == nil {
            try addMailbox(label)
        }
        return changeRecord(id) { record, state in
            state.records[record]?.labels = labels
            FakeMailModel.sync(record: record, in: &state)
        }
    }

    /// Replaces the flags of the message with X-GM-MSGID `id` in every mailbox showing it (as
    /// another client would); false when no such message.
    @discardableResult
    public func setFlags(_ id: UInt64, _ flags: [String]) -> Bool {
        changeRecord(id) { record, state in state.records[record]?.flags = flags }
    }

    /// Applies `change` to the record with X-GM-MSGID `id`; false when there is none.
    private func changeRecord(_ id: UInt64, _ change: (Int, inout FakeMailModel.State) -> Void) -> Bool {
        core.model.state.withLock { state in
            guard let record = state.records.first(where: { $0.value.gmailMessageID == id })?.key else { return false }
            change(record, &state)
            return true
        }
    }

    /// The messages of `mailbox` in UID order (empty when it does not exist).
    public func messages(in mailbox: String) -> [Message] {
        ((try? core.model.items(in: mailbox)) ?? []).map { item in
            Message(
                uid: item.uid, flags: item.data.flags, internalDate: item.data.internalDate, bytes: item.data.bytes,
                labels: item.data.labels, gmailMessageID: item.data.gmailMessageID, gmailThreadID: item.data.gmailThreadID)
        }
    }

    /// Every mailbox name, in creation order.
    public var mailboxNames: [String] { core.model.mailboxes().map(\.name) }

    /// A mailbox's UIDVALIDITY, UIDNEXT, role and subscription, or nil when it does not exist.
    public func mailbox(_ name: String) -> MailboxState? {
        try? core.model.withMailbox(name) { mailbox in
            MailboxState(
                name: mailbox.name, uidValidity: mailbox.uidValidity, uidNext: mailbox.uidNext, specialUse: mailbox.specialUse,
                subscribed: mailbox.subscribed, selectable: mailbox.selectable)
        }
    }

    /// Bare LF → CRLF, as IMAP stores messages.
    static func crlf(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 40)
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == 0x0a && previous != 0x0d { out.append(0x0d) }
            out.append(byte)
            previous = byte
        }
        return out
    }
}
