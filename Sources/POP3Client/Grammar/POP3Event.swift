import NIOCore

/// What the response parser produces from the server's bytes, in order.
public enum POP3Event: Sendable, Equatable {
    /// A `+OK`/`-ERR` line: the whole of a single-line response, or the head of a multi-line one
    /// (whose lines or data follow only after `+OK`).
    case status(POP3Status)
    /// A `+ text` challenge during AUTH (the text is base64).
    case continuation(String)
    /// One line of a listing (CAPA, LIST, UIDL), dot-unstuffed, without its line ending.
    case line([UInt8])
    /// A piece of a message (RETR, TOP), dot-unstuffed, line endings as sent.
    case data(ByteBuffer)
    /// The end of a multi-line response (the lone `.`).
    case end
}

/// What the parser must know about a command to read its response.
public enum POP3ResponseShape: Sendable, Hashable {
    /// One status line (USER, PASS, STAT, DELE, …).
    case singleLine
    /// A status line, then — after `+OK` — lines until `.` (CAPA, LIST, UIDL).
    case lines
    /// A status line, then — after `+OK` — message data until `.`, streamed (RETR, TOP).
    case message
    /// AUTH: `+ challenge` lines until a final status line.
    case authentication
    /// A line answering an AUTH challenge: no response of its own (the AUTH's continues).
    case none
}
