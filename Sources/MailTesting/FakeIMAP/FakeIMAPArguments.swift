/// A command's arguments, tokenised: atoms (including flags, sequence sets, and FETCH items with
/// their `[...]` sections), strings (quoted or literal) and parenthesised lists.
indirect enum FakeIMAPToken: Sendable, Equatable {
    case atom(String)
    case quoted([UInt8])
    case literal([UInt8])
    case list([FakeIMAPToken])

    /// The text of an atom or string (astring); nil for a list.
    var text: String? {
        switch self {
        case .atom(let text): return text
        case .quoted(let bytes), .literal(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .list: return nil
        }
    }

    var isString: Bool {
        switch self {
        case .quoted, .literal: return true
        default: return false
        }
    }
}

/// Why a command's arguments could not be read.
struct FakeIMAPSyntaxError: Error, Sendable {
    var reason: String
}

/// Tokenises the bytes after `tag command ` (literals embedded as `{n}\r\n` + bytes, the way the
/// command reader assembled them). Nesting is capped at 16 levels, tokens at 100,000.
struct FakeIMAPTokenizer {
    private let bytes: [UInt8]
    private var index: Int
    private var count = 0

    init(_ bytes: [UInt8], from index: Int) {
        self.bytes = bytes
        self.index = index
    }

    static func tokens(_ bytes: [UInt8], from index: Int) throws(FakeIMAPSyntaxError) -> [FakeIMAPToken] {
        var tokenizer = FakeIMAPTokenizer(bytes, from: index)
        return try tokenizer.sequence(depth: 0, closing: false)
    }

    private mutating func sequence(depth: Int, closing: Bool) throws(FakeIMAPSyntaxError) -> [FakeIMAPToken] {
        guard depth < 16 else { throw FakeIMAPSyntaxError(reason: "lists nested too deeply") }
        var tokens: [FakeIMAPToken] = []
        while index < bytes.count {
            count += 1
            guard count < 100_000 else { throw FakeIMAPSyntaxError(reason: "too many arguments") }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: " "):
                index += 1
            case 0x0d, 0x0a:
                index += 1
            case UInt8(ascii: "("):
                index += 1
                tokens.append(.list(try sequence(depth: depth + 1, closing: true)))
            case UInt8(ascii: ")"):
                guard closing else { throw FakeIMAPSyntaxError(reason: "unexpected )") }
                index += 1
                return tokens
            case UInt8(ascii: "\""):
                tokens.append(.quoted(try quoted()))
            case UInt8(ascii: "{"):
                tokens.append(.literal(try literal()))
            default:
                tokens.append(.atom(atom()))
            }
        }
        if closing { throw FakeIMAPSyntaxError(reason: "missing )") }
        return tokens
    }

    private mutating func quoted() throws(FakeIMAPSyntaxError) -> [UInt8] {
        index += 1
        var out: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return out
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { break }
                out.append(bytes[index])
                index += 1
            case 0x0d, 0x0a: throw FakeIMAPSyntaxError(reason: "line break in a quoted string")
            default: out.append(byte)
            }
        }
        throw FakeIMAPSyntaxError(reason: "unterminated quoted string")
    }

    private mutating func literal() throws(FakeIMAPSyntaxError) -> [UInt8] {
        guard let close = bytes[index...].firstIndex(of: UInt8(ascii: "}")) else { throw FakeIMAPSyntaxError(reason: "bad literal") }
        var digits = String(decoding: bytes[(index + 1)..<close], as: UTF8.self)
        if digits.hasSuffix("+") || digits.hasSuffix("-") { digits.removeLast() }
        guard let size = Int(digits), size >= 0 else { throw FakeIMAPSyntaxError(reason: "bad literal size") }
        var start = close + 1
        if start < bytes.count && bytes[start] == 0x0d { start += 1 }
        if start < bytes.count && bytes[start] == 0x0a { start += 1 }
        guard start + size <= bytes.count else { throw FakeIMAPSyntaxError(reason: "truncated literal") }
        index = start + size
        return Array(bytes[start..<start + size])
    }

    /// An atom; a `[` opens a section that runs to its `]`, spaces and parentheses included.
    private mutating func atom() -> String {
        let begin = index
        var depth = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "[") {
                depth += 1
            } else if byte == UInt8(ascii: "]") {
                depth = max(0, depth - 1)
            } else if depth == 0 && (byte == UInt8(ascii: " ") || byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")") || byte == 0x0d || byte == 0x0a) {
                break
            } else if depth > 0 && (byte == 0x0d || byte == 0x0a) {
                break
            }
            index += 1
        }
        return String(decoding: bytes[begin..<index], as: UTF8.self)
    }
}
