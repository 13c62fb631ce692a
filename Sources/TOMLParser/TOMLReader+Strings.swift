extension TOMLReader {
    private func checkLength(_ text: [UInt8], start: SourcePosition) throws(TOMLError) {
        guard text.count <= limits.maxStringBytes else {
            throw error("the string is longer than \(limits.maxStringBytes) bytes", at: start)
        }
    }

    private func unterminated(_ start: SourcePosition, _ close: String) -> TOMLError {
        error("the string opened here is not closed; add `\(close)`", at: start)
    }

    /// `"…"` with escapes, on one line.
    mutating func basicString() throws(TOMLError) -> String {
        let start = position
        offset += 1
        var text: [UInt8] = []
        while true {
            guard let c = peek() else { throw unterminated(start, "\"") }
            if c == .quote {
                offset += 1
                break
            } else if c == .backslash {
                try escape(into: &text, multiLine: false)
            } else if c == .lf || c == .cr {
                throw error("the string opened at column \(start.column) ends at the line break; close it with `\"` or use `\"\"\"` for several lines", at: start)
            } else if c.isForbiddenControl {
                throw error("control character \(c.hexScalar) in a string; write it as an escape such as \\u0007")
            } else {
                text.append(c)
                offset += 1
            }
            try checkLength(text, start: start)
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// `'…'` as written, on one line.
    mutating func literalString() throws(TOMLError) -> String {
        let start = position
        offset += 1
        let from = offset
        while true {
            guard let c = peek() else { throw unterminated(start, "'") }
            if c == .apostrophe { break }
            if c == .lf || c == .cr {
                throw error("the literal string ends at the line break; close it with `'` or use `'''` for several lines", at: start)
            }
            if c.isForbiddenControl { throw error("control character \(c.hexScalar) in a literal string; use a \"basic\" string with an escape") }
            offset += 1
            guard offset - from <= limits.maxStringBytes else {
                throw error("the string is longer than \(limits.maxStringBytes) bytes", at: start)
            }
        }
        let text = String(decoding: bytes[from..<offset], as: UTF8.self)
        offset += 1
        return text
    }

    /// `"""…"""`: a line break right after the opening quotes is dropped; `\` at a line end
    /// joins lines; up to two quotes may directly precede the closing three.
    mutating func multiLineBasicString() throws(TOMLError) -> String {
        try multiLine(quote: .quote, escapes: true)
    }

    /// `'''…'''`: as written, no escapes.
    mutating func multiLineLiteralString() throws(TOMLError) -> String {
        try multiLine(quote: .apostrophe, escapes: false)
    }

    private mutating func multiLine(quote: UInt8, escapes: Bool) throws(TOMLError) -> String {
        let start = position
        let close = String(repeating: quote == .quote ? "\"" : "'", count: 3)
        offset += 3
        _ = consumeNewline()
        var text: [UInt8] = []
        while true {
            guard let c = peek() else { throw unterminated(start, close) }
            if c == quote, peek(1) == quote, peek(2) == quote {
                var run = 3
                while run < 6, peek(run) == quote { run += 1 }
                guard run <= 5 else { throw error("too many quotes in a row at the end of a multi-line string; escape some") }
                text.append(contentsOf: repeatElement(quote, count: run - 3))
                offset += run
                break
            } else if c == .backslash, escapes {
                try escape(into: &text, multiLine: true)
            } else if consumeNewline() {
                text.append(.lf)
            } else if c == .cr {
                throw error("carriage return without a line feed in a string; use \\r")
            } else if c.isForbiddenControl {
                throw error("control character \(c.hexScalar) in a string; write it as an escape such as \\u0007")
            } else {
                text.append(c)
                offset += 1
            }
            try checkLength(text, start: start)
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// One escape after a backslash, appended as UTF-8.
    private mutating func escape(into text: inout [UInt8], multiLine: Bool) throws(TOMLError) {
        let start = position
        offset += 1
        guard let e = peek() else { throw error("a backslash ends the file; write \\\\ for a backslash", at: start) }
        switch e {
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "t"): text.append(.tab)
        case UInt8(ascii: "n"): text.append(.lf)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "r"): text.append(.cr)
        case .quote: text.append(.quote)
        case .backslash: text.append(.backslash)
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = e == UInt8(ascii: "u") ? 4 : 8
            var code: UInt32 = 0
            for i in 1...count {
                guard let h = peek(i), h.isHexDigit, let digit = UInt32(String(Unicode.Scalar(h)), radix: 16) else {
                    throw error("\\\(Character(Unicode.Scalar(e))) needs exactly \(count) hex digits", at: start)
                }
                code = code << 4 | digit
            }
            guard let scalar = Unicode.Scalar(code) else {
                throw error("\\\(Character(Unicode.Scalar(e))) escape is not a Unicode scalar value (surrogate or beyond U+10FFFF)", at: start)
            }
            text.append(contentsOf: Array(String(Character(scalar)).utf8))
            offset += count
        case .space, .tab, .lf, .cr:
            // A line-ending backslash: trim the line break and all whitespace after it.
            guard multiLine else { throw invalidEscape(e, at: start) }
            skipSpaces()
            guard consumeNewline() else {
                throw error("a backslash followed by spaces must end the line; write \\\\ for a backslash", at: start)
            }
            while true {
                skipSpaces()
                if !consumeNewline() { break }
            }
            return
        default:
            throw invalidEscape(e, at: start)
        }
        offset += 1
    }

    private func invalidEscape(_ e: UInt8, at start: SourcePosition) -> TOMLError {
        let shown = (0x21...0x7E).contains(e) ? "\\" + String(Character(Unicode.Scalar(e))) : "\\ followed by \(e.described)"
        return error(
            "invalid escape \(shown); use \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX or \\UXXXXXXXX (\\\\ for a backslash)",
            at: start)
    }
}
