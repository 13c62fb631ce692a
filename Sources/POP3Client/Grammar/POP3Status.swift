/// The first line of every POP3 response: `+OK text` or `-ERR text` (RFC 1939), with the
/// optional `[CODE]` of RFC 2449's RESP-CODES (`IN-USE`, `LOGIN-DELAY`, `SYS/TEMP`, `AUTH`).
public struct POP3Status: Sendable, Hashable {
    public var isOK: Bool
    /// The response code in brackets, upper-cased, when the server sent one.
    public var code: String?
    /// The human-readable rest of the line, as sent (sanitise before showing it).
    public var text: String

    public init(isOK: Bool, code: String? = nil, text: String) {
        self.isOK = isOK
        self.code = code
        self.text = text
    }

    /// Parses a status line without its line ending; `nil` when it is neither `+OK` nor `-ERR`.
    public init?(line: [UInt8]) {
        let text = String(decoding: line, as: UTF8.self)
        let rest: Substring
        if text.hasPrefix("+OK") {
            isOK = true
            rest = text.dropFirst(3)
        } else if text.hasPrefix("-ERR") {
            isOK = false
            rest = text.dropFirst(4)
        } else {
            return nil
        }
        guard rest.isEmpty || rest.first == " " else { return nil }
        var body = rest.drop(while: { $0 == " " })
        code = nil
        if body.first == "[", let close = body.firstIndex(of: "]") {
            code = body[body.index(after: body.startIndex)..<close].uppercased()
            body = body[body.index(after: close)...].drop(while: { $0 == " " })
        }
        self.text = String(body)
    }

    /// Whether a failure is temporary by the server's own account (RFC 2449/3206 codes), so a
    /// later attempt can succeed.
    public var isTemporary: Bool {
        guard let code else { return false }
        return code == "IN-USE" || code == "LOGIN-DELAY" || code == "SYS/TEMP"
    }
}
