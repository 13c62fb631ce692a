import IMAPCore
import NIOCore

/// Where the responses to one command go. Implementations live on the connection's event loop.
protocol ResponseSink: AnyObject {
    /// Whether this command claims an untagged response (the oldest pending command that does, gets it).
    func accepts(_ response: UntaggedResponse) -> Bool
    /// Whether FETCH body events go to this command.
    var acceptsBodies: Bool { get }
    /// Delivers a response or body event; returns `false` to pause reading (back-pressure).
    func receive(_ event: ResponseEvent) -> Bool
    /// The command's tagged response.
    func complete(_ response: TaggedResponse)
    /// The connection failed before the command completed.
    func fail(_ error: any Error)
}

/// What kind of untagged responses a command collects.
enum CommandKind: Sendable {
    case generic
    case capability
    case list
    case lsub
    case status
    case select
    case search
    case namespace
    case enable
    case id
    case fetch

    func accepts(_ response: UntaggedResponse) -> Bool {
        switch (self, response) {
        case (.capability, .capability), (.list, .list), (.lsub, .lsub), (.status, .status), (.namespace, .namespace),
            (.enable, .enabled), (.id, .id), (.search, .search), (.search, .extendedSearch), (.fetch, .fetch),
            (.select, .exists), (.select, .recent), (.select, .flags):
            return true
        case (.select, .condition(.ok, let text)):
            switch text.code {
            case .uidValidity?, .uidNext?, .permanentFlags?, .highestModSeq?, .unseen?, .noModSeq?, .readOnly?, .readWrite?:
                return true
            default: return false
            }
        default: return false
        }
    }
}

/// The outcome of a command: its tagged response and the untagged responses it collected.
public struct CommandResult: Sendable {
    public var tagged: TaggedResponse
    public var untagged: [UntaggedResponse]
}

/// Collects the untagged responses of one command and completes a promise with them.
final class CollectingSink: ResponseSink {
    let kind: CommandKind
    let promise: EventLoopPromise<CommandResult>
    /// For commands a server may answer out of order when pipelined (STATUS): the mailbox whose
    /// responses are this command's.
    let mailbox: [UInt8]?
    private var collected: [UntaggedResponse] = []

    init(kind: CommandKind, promise: EventLoopPromise<CommandResult>, mailbox: [UInt8]? = nil) {
        self.kind = kind
        self.promise = promise
        self.mailbox = mailbox
    }

    func accepts(_ response: UntaggedResponse) -> Bool {
        guard kind.accepts(response) else { return false }
        if let mailbox, case .status(let name, _) = response { return name == mailbox }
        return true
    }
    var acceptsBodies: Bool { false }

    func receive(_ event: ResponseEvent) -> Bool {
        if case .response(.untagged(let response)) = event { collected.append(response) }
        return true
    }

    func complete(_ response: TaggedResponse) { promise.succeed(CommandResult(tagged: response, untagged: collected)) }
    func fail(_ error: any Error) { promise.fail(error) }
}
