extension TOMLReader {
    /// Any value: string, number, boolean, date-time, array or inline table. `depth` counts the
    /// arrays and inline tables around it, bounded by `limits.maxDepth`.
    mutating func value(depth: Int) throws(TOMLError) -> TOMLValue {
        let start = position
        guard let c = peek() else { throw error("expected a value at the end of the file") }
        switch c {
        case .quote:
            let text = (peek(1) == .quote && peek(2) == .quote) ? try multiLineBasicString() : try basicString()
            return TOMLValue(.string(text), at: start)
        case .apostrophe:
            let text =
                (peek(1) == .apostrophe && peek(2) == .apostrophe) ? try multiLineLiteralString() : try literalString()
            return TOMLValue(.string(text), at: start)
        case .openBracket:
            return try array(depth: depth)
        case .openBrace:
            return try inlineTable(depth: depth)
        case _ where c.isDigit || c == .plus || c == .minus || c == UInt8(ascii: "i") || c == UInt8(ascii: "n"):
            return try numberOrDate()
        case _ where c.isLetter:
            let from = offset
            while let b = peek(), b.isBareKey || b == .dot { offset += 1 }
            let word = String(decoding: bytes[from..<offset], as: UTF8.self)
            if word == "true" { return TOMLValue(.boolean(true), at: start) }
            if word == "false" { return TOMLValue(.boolean(false), at: start) }
            throw error("`\(word)` is not a value; strings need quotes (\"\(word)\"), booleans are `true` or `false`", at: start)
        case .lf, .cr:
            throw error("expected a value after `=`, found the end of the line")
        default:
            throw error("expected a value (string, number, boolean, date, array or inline table), found \(c.described)")
        }
    }

    private func checkDepth(_ depth: Int) throws(TOMLError) {
        guard depth <= limits.maxDepth else {
            throw error("arrays and inline tables are nested more than \(limits.maxDepth) deep; flatten the structure")
        }
    }

    /// `[ v, v, ]`: may span lines and hold comments; a trailing comma is allowed.
    mutating func array(depth: Int) throws(TOMLError) -> TOMLValue {
        let start = position
        try checkDepth(depth)
        offset += 1
        var elements: [TOMLValue] = []
        while true {
            try skipBlank()
            if peek() == .closeBracket {
                offset += 1
                break
            }
            if atEnd { throw error("the array opened at line \(start.line) is not closed; add `]`", at: start) }
            elements.append(try value(depth: depth + 1))
            try skipBlank()
            if peek() == .comma {
                offset += 1
            } else if peek() == .closeBracket {
                offset += 1
                break
            } else if atEnd {
                throw error("the array opened at line \(start.line) is not closed; add `]`", at: start)
            } else {
                throw error("expected `,` or `]` after an array element, found \(peek()?.described ?? "the end")")
            }
        }
        return TOMLValue(.array(elements), at: start)
    }

    /// `{ k = v, k.j = v }`: on one line, no trailing comma (TOML 1.0).
    mutating func inlineTable(depth: Int) throws(TOMLError) -> TOMLValue {
        let start = position
        try checkDepth(depth)
        offset += 1
        let table = TableNode(origin: .inline, position: start)
        skipSpaces()
        if peek() == .closeBrace {
            offset += 1
            return TOMLValue(.table(table.freeze()), at: start)
        }
        while true {
            skipSpaces()
            if peek() == .closeBrace { throw error("trailing comma in an inline table; remove the last `,`") }
            if peek() == .lf || peek() == .cr || atEnd {
                throw error("an inline table must close on the line it opens; use a [table] section for longer ones")
            }
            let statement = position
            let keys = try key()
            guard depth + keys.count <= limits.maxDepth + 1 else {
                throw error("inline tables are nested more than \(limits.maxDepth) deep; flatten the structure", at: statement)
            }
            skipSpaces()
            guard peek() == .equals else { throw error("expected `=` after the key in an inline table") }
            offset += 1
            skipSpaces()
            let value = try value(depth: depth + 1)
            try insert(keys, value, into: table, statementStart: statement)
            skipSpaces()
            if peek() == .comma {
                offset += 1
            } else if peek() == .closeBrace {
                offset += 1
                break
            } else if peek() == .lf || peek() == .cr || atEnd || peek() == .hash {
                throw error("an inline table must close on the line it opens; add `}` or use a [table] section")
            } else {
                throw error("expected `,` or `}` in the inline table, found \(peek()?.described ?? "the end")")
            }
        }
        return TOMLValue(.table(table.freeze()), at: start)
    }
}
