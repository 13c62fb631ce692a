/// Spells commands for the wire.
///
/// - Atoms go as they are; any other string goes quoted (escaping only `\` and `"`) when it has no
///   CR, LF or 8-bit bytes (8-bit is fine once UTF8=ACCEPT is enabled), and as a literal
///   otherwise. NUL cannot be sent in a string at all: it is refused.
/// - Literals are synchronizing (`{n}`: wait for the server's `+`) unless the server offers
///   LITERAL+ (`{n+}` for any size) or LITERAL- (`{n+}` up to 4096 bytes).
/// - Mailbox names arrive already encoded (``MailboxName``).
public struct CommandEncoder: Sendable {
    public struct Options: Sendable, Hashable {
        public var literalPlus = false
        public var literalMinus = false
        public var utf8Accept = false
        public init(literalPlus: Bool = false, literalMinus: Bool = false, utf8Accept: Bool = false) {
            self.literalPlus = literalPlus
            self.literalMinus = literalMinus
            self.utf8Accept = utf8Accept
        }
    }

    /// Why a command cannot be encoded.
    public enum EncodingError: Error, Sendable, Hashable, CustomStringConvertible {
        case nulInString(argument: String)
        case invalidAtom(String)

        public var description: String {
            switch self {
            case .nulInString(let argument): return "\(argument) contains a NUL byte, which IMAP cannot carry"
            case .invalidAtom(let atom): return "\"\(atom)\" cannot be sent as an IMAP atom"
            }
        }
    }

    public var options: Options

    public init(options: Options = Options()) { self.options = options }

    /// The command with its tag, in segments: send each in order; after a segment marked
    /// `thenAwaitContinuation`, wait for the server's `+` before sending the next.
    public func encode(tag: String, _ command: Command) throws(EncodingError) -> EncodedCommand {
        var writer = SegmentWriter(options: options)
        writer.append(tag)
        writer.append(" ")
        var redacted: String?
        switch command {
        case .capability: writer.append("CAPABILITY")
        case .noop: writer.append("NOOP")
        case .logout: writer.append("LOGOUT")
        case .startTLS: writer.append("STARTTLS")
        case .login(let username, let password):
            writer.append("LOGIN ")
            try writer.astring(Array(username.utf8), argument: "the user name")
            writer.append(" ")
            try writer.astring(Array(password.utf8), argument: "the password")
            redacted = "\(tag) LOGIN <redacted>"
        case .authenticate(let mechanism, let initialResponse):
            writer.append("AUTHENTICATE ")
            try writer.atom(mechanism)
            if let initialResponse {
                writer.append(" ")
                writer.append(initialResponse.isEmpty ? "=" : Base64.encode(initialResponse))
            }
            redacted = "\(tag) AUTHENTICATE \(mechanism) <redacted>"
        case .enable(let capabilities):
            writer.append("ENABLE")
            for capability in capabilities {
                writer.append(" ")
                try writer.atom(capability)
            }
        case .id(let fields):
            writer.append("ID ")
            if fields.isEmpty {
                writer.append("NIL")
            } else {
                writer.append("(")
                for (index, field) in fields.enumerated() {
                    if index > 0 { writer.append(" ") }
                    try writer.string(Array(field.0.utf8), argument: "an ID field")
                    writer.append(" ")
                    try writer.string(Array(field.1.utf8), argument: "an ID value")
                }
                writer.append(")")
            }
        case .namespace: writer.append("NAMESPACE")
        case .compressDeflate: writer.append("COMPRESS DEFLATE")
        case .list(let reference, let pattern, let returnOptions):
            writer.append("LIST ")
            try writer.astring(reference.bytes, argument: "the reference name", allowEmpty: true)
            writer.append(" ")
            try writer.listPattern(pattern.bytes)
            if !returnOptions.isEmpty {
                writer.append(" RETURN (")
                for (index, option) in returnOptions.enumerated() {
                    if index > 0 { writer.append(" ") }
                    try writer.atom(option)
                }
                writer.append(")")
            }
        case .lsub(let reference, let pattern):
            writer.append("LSUB ")
            try writer.astring(reference.bytes, argument: "the reference name", allowEmpty: true)
            writer.append(" ")
            try writer.listPattern(pattern.bytes)
        case .status(let mailbox, let items):
            writer.append("STATUS ")
            try writer.mailbox(mailbox)
            writer.append(" (")
            for (index, item) in items.enumerated() {
                if index > 0 { writer.append(" ") }
                try writer.atom(item)
            }
            writer.append(")")
        case .select(let mailbox, let condStore), .examine(let mailbox, let condStore):
            if case .select = command { writer.append("SELECT ") } else { writer.append("EXAMINE ") }
            try writer.mailbox(mailbox)
            if condStore { writer.append(" (CONDSTORE)") }
        case .create(let mailbox, let specialUse):
            writer.append("CREATE ")
            try writer.mailbox(mailbox)
            if let specialUse {
                writer.append(" (USE (")
                try writer.flag(specialUse)
                writer.append("))")
            }
        case .subscribe(let mailbox):
            writer.append("SUBSCRIBE ")
            try writer.mailbox(mailbox)
        case .uidFetch(let uids, let items, let changedSince):
            writer.append("UID FETCH \(uids) ")
            try writer.fetchItems(items)
            if let changedSince { writer.append(" (CHANGEDSINCE \(changedSince))") }
        case .fetch(let numbers, let items):
            writer.append("FETCH \(numbers) ")
            try writer.fetchItems(items)
        case .uidSearch(let arguments):
            writer.append("UID SEARCH")
            for argument in arguments {
                writer.append(" ")
                switch argument {
                case .key(let key): try writer.atom(key)
                case .string(let text): try writer.string(Array(text.utf8), argument: "a search string")
                case .set(let set): writer.append(set.description)
                }
            }
        case .uidStore(let uids, let operation, let flags):
            writer.append("UID STORE \(uids) ")
            try writer.atom(operation)
            writer.append(" (")
            for (index, flag) in flags.enumerated() {
                if index > 0 { writer.append(" ") }
                try writer.flag(flag)
            }
            writer.append(")")
        case .uidExpunge(let uids): writer.append("UID EXPUNGE \(uids)")
        case .unselect: writer.append("UNSELECT")
        case .close: writer.append("CLOSE")
        case .append(let mailbox, let messages):
            writer.append("APPEND ")
            try writer.mailbox(mailbox)
            for (index, message) in messages.enumerated() {
                writer.append(" (")
                for (flagIndex, flag) in message.flags.enumerated() {
                    if flagIndex > 0 { writer.append(" ") }
                    try writer.flag(flag)
                }
                writer.append(")")
                if let date = message.internalDate {
                    writer.append(" ")
                    try writer.quoted(Array(date.utf8), argument: "the arrival date")
                }
                writer.append(" ")
                writer.messageLiteral(index: index, size: message.size, binary: message.binary)
            }
        }
        writer.append("\r\n")
        return writer.finish(redacted: redacted)
    }
}

/// A command ready to send.
public struct EncodedCommand: Sendable {
    public enum Segment: Sendable, Hashable {
        /// Bytes to send; when `thenAwaitContinuation` is set, wait for `+` before the next segment.
        case bytes([UInt8], thenAwaitContinuation: Bool)
        /// The bytes of message `index` of an APPEND (exactly `size` bytes, CRLF line endings).
        case messageBody(index: Int, size: Int)
    }

    public var segments: [Segment]
    /// The command for logs and traces: credentials replaced by `<redacted>`, literals by their size.
    public var traceDescription: String
}

/// Builds the segments of one command.
struct SegmentWriter {
    let options: CommandEncoder.Options
    private var segments: [EncodedCommand.Segment] = []
    private var current: [UInt8] = []
    private var trace: [UInt8] = []

    init(options: CommandEncoder.Options) { self.options = options }

    mutating func append(_ text: String) {
        current.append(contentsOf: text.utf8)
        trace.append(contentsOf: text.utf8)
    }

    mutating func atom(_ text: String) throws(CommandEncoder.EncodingError) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.allSatisfy(ResponseGrammar.isAtomChar) else { throw .invalidAtom(text) }
        append(text)
    }

    /// A flag: `\Seen`, `\*` or a keyword atom.
    mutating func flag(_ text: String) throws(CommandEncoder.EncodingError) {
        let body = text.hasPrefix("\\") ? String(text.dropFirst()) : text
        guard body == "*" || (!body.isEmpty && body.utf8.allSatisfy(ResponseGrammar.isAtomChar)) else {
            throw .invalidAtom(text)
        }
        append(text)
    }

    /// A FETCH item such as `BODY.PEEK[]`, `RFC822.SIZE` or `BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]`.
    mutating func fetchItem(_ text: String) throws(CommandEncoder.EncodingError) {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f || $0 == 0x20 }),
            !text.contains("\r"), !text.contains("\n"), !text.contains("{")
        else { throw .invalidAtom(text) }
        append(text)
    }

    /// `(item item …)`.
    mutating func fetchItems(_ items: [String]) throws(CommandEncoder.EncodingError) {
        append("(")
        for (index, item) in items.enumerated() {
            if index > 0 { append(" ") }
            try fetchItem(item)
        }
        append(")")
    }

    mutating func mailbox(_ name: MailboxName) throws(CommandEncoder.EncodingError) {
        try astring(name.bytes, argument: "the mailbox name")
    }

    /// A LIST pattern: like a mailbox name, but `*` and `%` stay wildcards.
    mutating func listPattern(_ bytes: [UInt8]) throws(CommandEncoder.EncodingError) {
        if !bytes.isEmpty,
            bytes.allSatisfy({ ResponseGrammar.isAStringChar($0) && $0 < 0x80 || $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "%") })
        {
            current.append(contentsOf: bytes)
            trace.append(contentsOf: bytes)
        } else {
            try string(bytes, argument: "the list pattern")
        }
    }

    /// astring: an atom when every byte allows it, else a string.
    mutating func astring(_ bytes: [UInt8], argument: String, allowEmpty: Bool = false) throws(CommandEncoder.EncodingError) {
        if !bytes.isEmpty, bytes.allSatisfy({ ResponseGrammar.isAStringChar($0) && $0 < 0x80 }) {
            current.append(contentsOf: bytes)
            trace.append(contentsOf: bytes)
        } else {
            try string(bytes, argument: argument)
        }
    }

    /// string: quoted when safe, a literal when it holds CR, LF or (without UTF8=ACCEPT) 8-bit bytes.
    mutating func string(_ bytes: [UInt8], argument: String) throws(CommandEncoder.EncodingError) {
        guard !bytes.contains(0) else { throw .nulInString(argument: argument) }
        let quotable = bytes.allSatisfy { $0 != 0x0d && $0 != 0x0a && ($0 < 0x80 || options.utf8Accept) }
        if quotable {
            try quoted(bytes, argument: argument)
        } else {
            literal(bytes)
        }
    }

    mutating func quoted(_ bytes: [UInt8], argument: String) throws(CommandEncoder.EncodingError) {
        guard !bytes.contains(0) else { throw .nulInString(argument: argument) }
        current.append(UInt8(ascii: "\""))
        for byte in bytes {
            if byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") { current.append(UInt8(ascii: "\\")) }
            current.append(byte)
        }
        current.append(UInt8(ascii: "\""))
        trace.append(contentsOf: Array("\"…\"".utf8))
    }

    private func nonSynchronizing(_ size: Int) -> Bool {
        options.literalPlus || (options.literalMinus && size <= 4096)
    }

    mutating func literal(_ bytes: [UInt8]) {
        let sync = !nonSynchronizing(bytes.count)
        current.append(contentsOf: Array("{\(bytes.count)\(sync ? "" : "+")}\r\n".utf8))
        trace.append(contentsOf: Array("{\(bytes.count)}".utf8))
        if sync { flush(awaitContinuation: true) }
        current.append(contentsOf: bytes)
    }

    /// A message's literal; `binary` makes it a `literal8` (`~{n}`, RFC 3516 / RFC 4466).
    mutating func messageLiteral(index: Int, size: Int, binary: Bool = false) {
        let sync = !nonSynchronizing(size)
        let prefix = binary ? "~" : ""
        current.append(contentsOf: Array("\(prefix){\(size)\(sync ? "" : "+")}\r\n".utf8))
        trace.append(contentsOf: Array("\(prefix){\(size)}".utf8))
        flush(awaitContinuation: sync)
        segments.append(.messageBody(index: index, size: size))
    }

    private mutating func flush(awaitContinuation: Bool) {
        if !current.isEmpty || awaitContinuation { segments.append(.bytes(current, thenAwaitContinuation: awaitContinuation)) }
        current = []
    }

    mutating func finish(redacted: String?) -> EncodedCommand {
        flush(awaitContinuation: false)
        var text = redacted ?? String(decoding: trace, as: UTF8.self)
        while text.hasSuffix("\r\n") || text.hasSuffix("\n") { text.removeLast() }
        return EncodedCommand(segments: segments, traceDescription: text)
    }
}

/// Base64 (RFC 4648) for SASL, without Foundation.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index]
            let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            output.append(alphabet[Int(b0 >> 2)])
            output.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            output.append(index + 1 < bytes.count ? alphabet[Int((b1 & 0x0f) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            output.append(index + 2 < bytes.count ? alphabet[Int(b2 & 0x3f)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var table = [Int16](repeating: -1, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = Int16(index) }
        var output: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "=") { break }
            if byte == 0x20 || byte == 0x0d || byte == 0x0a { continue }
            let value = table[Int(byte)]
            guard value >= 0 else { return nil }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return output
    }
}
