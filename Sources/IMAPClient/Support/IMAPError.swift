import MailCore
import IMAPCore

/// What went wrong talking to an IMAP server. Server text in these errors is already sanitised
/// (no control characters or terminal escapes).
public enum IMAPError: Error, Sendable, CustomStringConvertible {
    /// The TCP connection could not be made.
    case connectionFailed(host: String, port: Int, reason: String)
    /// TLS could not be set up, or the certificate was refused.
    case tlsFailed(reason: String)
    /// The server does not offer STARTTLS and plaintext was not explicitly allowed.
    case startTLSUnavailable
    /// Bytes arrived between the server's OK to STARTTLS (or COMPRESS) and the switch: refused,
    /// because they could be an attacker's injected plaintext.
    case bytesBeforeTLS
    /// The server greeted with PREAUTH on a connection that is not yet encrypted.
    case preauthWithoutTLS
    /// The server greeted with BYE.
    case refusedByServer(text: String)
    /// Login or authentication was rejected.
    case authenticationFailed(text: String)
    /// No authentication mechanism both sides support.
    case noUsableMechanism(offered: [String])
    /// A command ended with NO or BAD.
    case commandFailed(command: String, status: ResponseStatus, text: ResponseText)
    /// The server broke the protocol (an unexpected continuation, a malformed response).
    case protocolViolation(String)
    /// The server's response could not be parsed or broke a limit.
    case parser(IMAPParserError)
    /// A command could not be encoded.
    case encoding(CommandEncoder.EncodingError)
    /// No response within the time allowed.
    case timeout(seconds: Double, waitingFor: String)
    /// The server sends, but too slowly: a line not complete within the response deadline, or a
    /// message below the minimum rate (the text says which).
    case stalled(String)
    /// The connection closed (BYE, network error) before the command finished.
    case connectionClosed(reason: String)
    /// Reading the message to upload failed.
    case messageUnreadable(reason: String)

    public var description: String {
        switch self {
        case .connectionFailed(let host, let port, let reason):
            return "cannot connect to \(host):\(port): \(ConnectionFailureText.plain(reason))"
        case .tlsFailed(let reason): return "TLS failed: \(reason)"
        case .startTLSUnavailable:
            return "the server does not offer STARTTLS; refusing to send credentials in plaintext (use imaps://, or allow plaintext explicitly)"
        case .bytesBeforeTLS: return "the server sent data before the TLS handshake (possible STARTTLS injection); connection closed"
        case .preauthWithoutTLS: return "the server pre-authenticated an unencrypted connection; refused (TLS is required)"
        case .refusedByServer(let text): return "the server refused the connection: \(text)"
        case .authenticationFailed(let text): return "authentication failed: \(text)"
        case .noUsableMechanism(let offered):
            return "no authentication mechanism in common (the server offers: \(offered.isEmpty ? "none" : offered.joined(separator: " ")))"
        case .commandFailed(let command, let status, let text):
            return "\(command) failed (\(status.rawValue)): \(text.text)"
        case .protocolViolation(let what): return "IMAP protocol violation: \(what)"
        case .parser(let error): return error.description
        case .encoding(let error): return error.description
        case .timeout(let seconds, let what): return "no response from the server for \(Int(seconds)) s (waiting for \(what))"
        case .stalled(let what): return "the server is too slow, connection ended: \(what)"
        case .connectionClosed(let reason): return "the connection closed: \(reason)"
        case .messageUnreadable(let reason): return "cannot read the message to upload: \(reason)"
        }
    }

    /// Whether the server broke the progress deadline (it sends, but too slowly).
    public var isStalled: Bool {
        if case .stalled = self { return true }
        return false
    }

    /// Whether reconnecting and trying again can help.
    public var isTransient: Bool {
        switch self {
        case .connectionClosed, .timeout, .stalled, .connectionFailed: return true
        case .commandFailed(_, _, let text):
            if case .unavailable? = text.code { return true }
            return false
        default: return false
        }
    }
}
