/// Why the response parser refused the server's bytes. Every case is final for the connection:
/// the stream can no longer be trusted to be in step with the commands.
public enum POP3ParserError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A status or listing line longer than the limit (RFC 1939: 512 octets, plus tolerance).
    case lineTooLong(maximum: Int)
    /// A message (RETR/TOP data) larger than the limit.
    case messageTooLarge(maximum: Int)
    /// A listing (CAPA, LIST, UIDL) with more lines than the limit.
    case tooManyLines(maximum: Int)
    /// A line that should be `+OK`/`-ERR` is not (its start, sanitised).
    case malformedStatus(String)
    /// A NUL byte in a status or listing line.
    case nulInLine
    /// Bytes arrived when no command was waiting for a response.
    case unexpectedData

    public var description: String {
        switch self {
        case .lineTooLong(let maximum): return "the server sent a response line longer than \(maximum) octets"
        case .messageTooLarge(let maximum): return "the server sent a message larger than \(maximum) bytes"
        case .tooManyLines(let maximum): return "the server sent a listing of more than \(maximum) lines"
        case .malformedStatus(let start): return "the server sent \"\(start)\" where +OK or -ERR was due"
        case .nulInLine: return "the server sent a NUL byte in a response line"
        case .unexpectedData: return "the server sent data no command asked for"
        }
    }
}
