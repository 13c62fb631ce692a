/// A POP3 command (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH).
///
/// Encoding refuses arguments that could smuggle a second command (CR, LF, NUL, and spaces in
/// single-word arguments) and lines over RFC 2449's 255 octets.
public enum POP3Command: Sendable, Hashable {
    case capa
    case stls
    case user(String)
    case pass(String)
    /// APOP with the hex MD5 digest of the greeting's timestamp and the password.
    case apop(user: String, digest: String)
    /// AUTH with a mechanism and an optional initial response (already base64, `=` for empty).
    case auth(mechanism: String, initialResponse: String?)
    /// One line answering an AUTH challenge (base64, or `*` to cancel).
    case authResponse(String)
    case stat
    case list
    case uidl
    case retr(Int)
    /// TOP msg n: the headers and the first `lines` body lines.
    case top(Int, lines: Int)
    case dele(Int)
    case rset
    case noop
    case quit

    /// The longest command line allowed, CRLF included (RFC 2449).
    public static let maximumLength = 255

    /// What a command encoding refused.
    public struct EncodingError: Error, Sendable, Hashable, CustomStringConvertible {
        public var reason: String
        public var description: String { "cannot send the POP3 command: \(reason)" }
    }

    /// The response this command gets.
    public var shape: POP3ResponseShape {
        switch self {
        case .capa, .list, .uidl: return .lines
        case .retr, .top: return .message
        case .auth: return .authentication
        case .authResponse: return .none
        default: return .singleLine
        }
    }

    /// The command's bytes, CRLF included.
    public func encoded() throws(EncodingError) -> [UInt8] {
        let line: String
        switch self {
        case .capa: line = "CAPA"
        case .stls: line = "STLS"
        case .user(let name): line = "USER \(try Self.argument(name, what: "user name", allowSpaces: true))"
        case .pass(let password): line = "PASS \(try Self.argument(password, what: "password", allowSpaces: true))"
        case .apop(let user, let digest):
            line = "APOP \(try Self.argument(user, what: "user name")) \(try Self.argument(digest, what: "digest"))"
        case .auth(let mechanism, let initial):
            let name = try Self.argument(mechanism, what: "mechanism")
            if let initial {
                line = "AUTH \(name) \(try Self.argument(initial, what: "initial response"))"
            } else {
                line = "AUTH \(name)"
            }
        case .authResponse(let text): line = try Self.argument(text, what: "authentication response", allowEmpty: true)
        case .stat: line = "STAT"
        case .list: line = "LIST"
        case .uidl: line = "UIDL"
        case .retr(let number): line = "RETR \(try Self.number(number))"
        case .top(let number, let lines): line = "TOP \(try Self.number(number)) \(max(0, lines))"
        case .dele(let number): line = "DELE \(try Self.number(number))"
        case .rset: line = "RSET"
        case .noop: line = "NOOP"
        case .quit: line = "QUIT"
        }
        let bytes = Array(line.utf8) + [0x0d, 0x0a]
        // SASL responses may be longer than 255 octets (RFC 5034 §4 lifts the limit for them).
        if case .authResponse = self { return bytes }
        guard bytes.count <= Self.maximumLength else {
            throw EncodingError(reason: "the command is \(bytes.count) octets long; POP3 allows \(Self.maximumLength)")
        }
        return bytes
    }

    /// The command as a protocol trace shows it: secrets replaced.
    public var traceText: String {
        switch self {
        case .pass: return "PASS <redacted>"
        case .apop(let user, _): return "APOP \(user) <redacted>"
        case .auth(let mechanism, let initial): return initial == nil ? "AUTH \(mechanism)" : "AUTH \(mechanism) <redacted>"
        case .authResponse: return "<redacted>"
        default: return (try? encoded()).map { String(decoding: $0.dropLast(2), as: UTF8.self) } ?? "?"
        }
    }

    private static func argument(
        _ text: String, what: String, allowSpaces: Bool = false, allowEmpty: Bool = false
    ) throws(EncodingError) -> String {
        guard allowEmpty || !text.isEmpty else { throw EncodingError(reason: "the \(what) is empty") }
        for scalar in text.unicodeScalars {
            if scalar == "\r" || scalar == "\n" || scalar == "\0" {
                throw EncodingError(reason: "the \(what) contains a line break or NUL")
            }
            if !allowSpaces && scalar == " " { throw EncodingError(reason: "the \(what) contains a space") }
        }
        return text
    }

    private static func number(_ value: Int) throws(EncodingError) -> String {
        guard value > 0 else { throw EncodingError(reason: "message number \(value) is not positive") }
        return String(value)
    }
}
