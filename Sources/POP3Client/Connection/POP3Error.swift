import MailCore

/// What went wrong talking to a POP3 server. Server text in these errors is already sanitised.
public enum POP3Error: Error, Sendable, CustomStringConvertible {
    case connectionFailed(host: String, port: Int, reason: String)
    case tlsFailed(reason: String)
    /// The server does not offer STLS and plaintext was not explicitly allowed; no credentials
    /// were sent.
    case stlsUnavailable
    /// Bytes arrived between the server's `+OK` to STLS and the handshake: refused, they could be
    /// an attacker's injected plaintext.
    case bytesBeforeTLS
    /// The greeting was `-ERR`.
    case refusedByServer(text: String)
    case authenticationFailed(text: String, temporary: Bool)
    /// No way to log in that both sides allow.
    case noUsableMechanism(String)
    /// A command ended with `-ERR`.
    case commandFailed(command: String, status: POP3Status)
    case protocolViolation(String)
    case parser(POP3ParserError)
    case encoding(POP3Command.EncodingError)
    case timeout(seconds: Double)
    /// The server sends, but too slowly (a line past the response deadline, a message below the
    /// minimum rate; the text says which).
    case stalled(String)
    case connectionClosed(reason: String)

    public var description: String {
        switch self {
        case .connectionFailed(let host, let port, let reason):
            return "cannot connect to \(host):\(port): \(ConnectionFailureText.plain(reason))"
        case .tlsFailed(let reason): return "TLS failed: \(reason)"
        case .stlsUnavailable:
            return "the server does not offer STLS; refusing to send credentials in plaintext (use pop3s://, or allow plaintext explicitly)"
        case .bytesBeforeTLS: return "the server sent data before the TLS handshake (possible STLS injection); connection closed"
        case .refusedByServer(let text): return "the server refused the connection: \(text)"
        case .authenticationFailed(let text, _): return "authentication failed: \(text)"
        case .noUsableMechanism(let why): return "no usable way to log in: \(why)"
        case .commandFailed(let command, let status): return "\(command) failed: -ERR \(status.code.map { "[\($0)] " } ?? "")\(status.text)"
        case .protocolViolation(let what): return "POP3 protocol violation: \(what)"
        case .parser(let error): return error.description
        case .encoding(let error): return error.description
        case .timeout(let seconds): return "no response from the server for \(Int(seconds)) s"
        case .stalled(let what): return "the server is too slow, connection ended: \(what)"
        case .connectionClosed(let reason): return "the connection closed: \(reason)"
        }
    }

    /// Whether reconnecting and trying again can help.
    public var isTransient: Bool {
        switch self {
        case .connectionClosed, .timeout, .stalled, .connectionFailed: return true
        case .commandFailed(_, let status): return status.isTemporary
        case .authenticationFailed(_, let temporary): return temporary
        default: return false
        }
    }
}
