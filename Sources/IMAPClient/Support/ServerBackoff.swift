import IMAPCore

/// A server asking the client to slow down, recognised from its response code and words:
/// Office 365's `Suggested Backoff Time: N milliseconds`, `[UNAVAILABLE]`, Gmail's `Too many
/// simultaneous connections` and `Account exceeded … bandwidth limits`, `BYE … Session expired`.
/// Such an answer is not a failure of the message or the folder: the client waits and goes on,
/// with fewer connections when the server counts them.
public struct ServerBackoff: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// Wait as long as the server suggests (or a growing delay), then go on.
        case slowDown = "slow-down"
        /// Too many connections: go on with fewer.
        case tooManyConnections = "too-many-connections"
        /// The server ended the session (often its way of throttling): reconnect, with fewer connections.
        case sessionExpired = "session-expired"
        /// A bandwidth or command budget is used up: pause for long (Gmail resets within a day).
        case budgetExhausted = "budget-exhausted"
    }

    public var kind: Kind
    /// Seconds the server asked for, when it said.
    public var suggestedDelay: Double?
    /// The server's words (sanitised by the caller), for the report.
    public var text: String

    /// Whether the client should use one connection fewer from now on.
    public var reducesConnections: Bool { kind == .tooManyConnections || kind == .sessionExpired }

    public init(kind: Kind, suggestedDelay: Double? = nil, text: String) {
        self.kind = kind
        self.suggestedDelay = suggestedDelay
        self.text = text
    }

    /// The back-off `text` (with `code`) asks for, or `nil` for an ordinary answer. `[LIMIT]` is
    /// a back-off only when it is not about a message's size.
    public static func recognise(code: ResponseCode?, text: String) -> ServerBackoff? {
        let lower = text.lowercased()
        if let delay = suggestedMilliseconds(lower) {
            return ServerBackoff(kind: .slowDown, suggestedDelay: Double(delay) / 1000, text: text)
        }
        if lower.contains("bandwidth limit") || lower.contains("exceeded command or bandwidth")
            || lower.contains("daily limit") || lower.contains("download limit") || lower.contains("upload limit")
        {
            return ServerBackoff(kind: .budgetExhausted, text: text)
        }
        if lower.contains("too many simultaneous connections") || lower.contains("too many connections")
            || lower.contains("maximum number of connections") || lower.contains("connection limit")
        {
            return ServerBackoff(kind: .tooManyConnections, text: text)
        }
        if lower.contains("session expired") || lower.contains("session invalidated") {
            return ServerBackoff(kind: .sessionExpired, text: text)
        }
        switch code {
        case .unavailable?:
            return ServerBackoff(kind: .slowDown, text: text)
        case .limit? where !lower.contains("size") && !lower.contains("large") && !lower.contains("line")
            && !lower.contains("header"):  // a line or header LIMIT refuses the message's bytes
            return ServerBackoff(kind: .slowDown, text: text)
        default:
            break
        }
        if lower.contains("throttl") || lower.contains("try again later") || lower.contains("server busy") {
            return ServerBackoff(kind: .slowDown, text: text)
        }
        return nil
    }

    /// N from "suggested backoff time: N milliseconds" (capped at a day).
    private static func suggestedMilliseconds(_ lower: String) -> Int? {
        guard let range = lower.range(of: "suggested backoff time:") else { return nil }
        let digits = lower[range.upperBound...].drop { $0 == " " }.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 9, let value = Int(digits) else { return nil }
        return min(value, 86_400_000)
    }
}

extension IMAPError {
    /// The back-off this error carries, if the server was asking the client to slow down.
    public var backoff: ServerBackoff? {
        switch self {
        case .commandFailed(_, _, let text): return ServerBackoff.recognise(code: text.code, text: text.text)
        case .connectionClosed(let reason): return reason.hasPrefix("the server said BYE") ? ServerBackoff.recognise(code: nil, text: reason) : nil
        case .refusedByServer(let text), .authenticationFailed(let text): return ServerBackoff.recognise(code: nil, text: text)
        default: return nil
        }
    }
}
