/// The parser's cursor over the document's bytes and the table tree it builds. One reader parses
/// one document; `document()` is the entry point.
struct TOMLReader {
    let bytes: [UInt8]
    let file: String
    let limits: TOMLLimits
    var offset = 0
    var line = 1
    var lineStart = 0
    let root: TableNode
    var current: TableNode

    init(bytes: [UInt8], file: String, limits: TOMLLimits) {
        self.bytes = bytes
        self.file = file
        self.limits = limits
        self.root = TableNode(origin: .header, position: SourcePosition(line: 1, column: 1))
        self.current = root
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            offset = 3
            lineStart = 3
        }
    }

    // MARK: Cursor

    var position: SourcePosition { SourcePosition(line: line, column: offset - lineStart + 1) }
    var atEnd: Bool { offset >= bytes.count }

    func peek(_ ahead: Int = 0) -> UInt8? {
        let at = offset + ahead
        return at < bytes.count ? bytes[at] : nil
    }

    func error(_ message: String, at position: SourcePosition? = nil) -> TOMLError {
        TOMLError(file: file, at: position ?? self.position, message)
    }

    /// Consumes a line break (LF or CRLF) if one is next.
    mutating func consumeNewline() -> Bool {
        if peek() == .lf {
            offset += 1
        } else if peek() == .cr, peek(1) == .lf {
            offset += 2
        } else {
            return false
        }
        line += 1
        lineStart = offset
        return true
    }

    mutating func skipSpaces() {
        while let c = peek(), c == .space || c == .tab { offset += 1 }
    }

    /// Skips a `#` comment up to (not including) the line break.
    mutating func skipComment() throws(TOMLError) {
        guard peek() == .hash else { return }
        while let c = peek(), c != .lf {
            if c == .cr, peek(1) == .lf { return }
            if c.isForbiddenControl { throw error("control character \(c.hexScalar) in a comment; remove it") }
            offset += 1
        }
    }

    /// Skips spaces, comments and line breaks (between array elements).
    mutating func skipBlank() throws(TOMLError) {
        while true {
            skipSpaces()
            try skipComment()
            if !consumeNewline() { return }
        }
    }

    /// After a key/value pair or header only a comment may follow on the line.
    mutating func expectLineEnd(after what: String) throws(TOMLError) {
        skipSpaces()
        try skipComment()
        if atEnd || consumeNewline() { return }
        if peek() == .cr { throw error("carriage return without a line feed; save the file with LF or CRLF line ends") }
        throw error("unexpected text after \(what); put each `key = value` and each [table] on its own line")
    }

    // MARK: Document

    mutating func document() throws(TOMLError) -> TOMLTable {
        try preflight()
        while true {
            try skipBlank()
            guard let c = peek() else { break }
            if c == .openBracket {
                try header()
            } else {
                let start = position
                let keys = try key()
                skipSpaces()
                guard peek() == .equals else {
                    throw error("expected `=` after the key `\(keys.map(\.name).joined(separator: "."))`", at: position)
                }
                offset += 1
                skipSpaces()
                let value = try value(depth: 1)
                try insert(keys, value, into: current, statementStart: start)
                try expectLineEnd(after: "the value")
            }
        }
        return root.freeze()
    }

    /// Checks size, line lengths and UTF-8 before parsing, so that the parser proper sees only
    /// well-formed text of bounded size.
    mutating func preflight() throws(TOMLError) {
        guard bytes.count <= limits.maxInputBytes else {
            throw error(
                "the file is \(bytes.count) bytes; the limit is \(limits.maxInputBytes) bytes, split it or remove unused parts",
                at: SourcePosition(line: 1, column: 1))
        }
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes[offset...].makeIterator()
        var line = 1
        var column = 1
        loop: while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar):
                if scalar.count == 1, scalar.first == .lf {
                    line += 1
                    column = 1
                    continue
                }
                column += scalar.count
                if column - 1 > limits.maxLineBytes, scalar.first != .cr {
                    throw TOMLError(
                        file: file, line: line, column: limits.maxLineBytes + 1,
                        message: "line is longer than \(limits.maxLineBytes) bytes; break it up (arrays and multi-line strings may span lines)")
                }
            case .error:
                throw TOMLError(file: file, line: line, column: column, message: "invalid UTF-8; save the file as UTF-8")
            case .emptyInput:
                break loop
            }
        }
    }

    // MARK: Keys

    struct KeyPart {
        var name: String
        var position: SourcePosition
    }

    /// A simple or dotted key: `a`, `"a b".c`, `'x'`.
    mutating func key() throws(TOMLError) -> [KeyPart] {
        var parts: [KeyPart] = []
        while true {
            skipSpaces()
            let start = position
            guard let c = peek() else { throw error("expected a key at the end of the file") }
            let name: String
            if c == .quote {
                if peek(1) == .quote, peek(2) == .quote { throw error("a multi-line string can't be a key") }
                name = try basicString()
            } else if c == .apostrophe {
                if peek(1) == .apostrophe, peek(2) == .apostrophe { throw error("a multi-line string can't be a key") }
                name = try literalString()
            } else if c.isBareKey {
                let from = offset
                while let b = peek(), b.isBareKey { offset += 1 }
                name = String(decoding: bytes[from..<offset], as: UTF8.self)
            } else if c == .equals {
                throw error("expected a key before `=`")
            } else {
                throw error("expected a key (letters, digits, `_`, `-`, or a quoted string), found \(c.described)")
            }
            parts.append(KeyPart(name: name, position: start))
            guard parts.count <= limits.maxDepth else {
                throw error("the dotted key has more than \(limits.maxDepth) parts", at: start)
            }
            skipSpaces()
            guard peek() == .dot else { return parts }
            offset += 1
        }
    }

    // MARK: Tables

    /// `[a.b]` or `[[a.b]]`.
    mutating func header() throws(TOMLError) {
        let start = position
        offset += 1
        let isArray = peek() == .openBracket
        if isArray { offset += 1 }
        let keys = try key()
        let path = keys.map(\.name).joined(separator: ".")
        skipSpaces()
        let close = isArray ? "]]" : "]"
        guard peek() == .closeBracket, !isArray || peek(1) == .closeBracket else {
            throw error("expected `\(close)` to close the header [\(isArray ? "[" : "")\(path)")
        }
        offset += isArray ? 2 : 1

        var node = root
        for part in keys.dropLast() {
            if let slot = node.slot(part.name) {
                switch slot.item {
                case .table(let child): node = child
                case .tableArray(let array):
                    guard let last = array.elements.last else { throw error("internal: empty array of tables", at: part.position) }
                    node = last
                case .value(let value):
                    throw error(
                        "`\(part.name)` is already \(value.typeNameWithArticle) (line \(value.position.line)), so it can't hold the table [\(path)]",
                        at: part.position)
                }
            } else {
                let child = TableNode(origin: .implicit, position: part.position)
                node.add(part.name, at: part.position, .table(child))
                node = child
            }
        }
        guard let last = keys.last else { throw error("expected a table name", at: start) }
        if let slot = node.slot(last.name) {
            switch slot.item {
            case .table(let table) where !isArray && table.origin == .implicit:
                table.origin = .header
                table.position = start
                current = table
            case .table(let table):
                let how = table.origin == .dotted ? "by dotted keys" : "as a table"
                throw error(
                    isArray
                        ? "[[\(path)]] can't be an array of tables: `\(path)` is already defined \(how) at line \(table.position.line)"
                        : "table [\(path)] is defined twice: first \(how) at line \(table.position.line); merge the two",
                    at: start)
            case .tableArray(let array):
                guard isArray else {
                    throw error(
                        "[\(path)] is already an array of tables ([[\(path)]], line \(array.position.line)); write [[\(path)]] to add an element",
                        at: start)
                }
                let element = TableNode(origin: .arrayElement, position: start)
                array.elements.append(element)
                current = element
            case .value(let value):
                throw error(
                    "`\(path)` is already \(value.typeNameWithArticle) (line \(value.position.line)); it can't also be a table", at: start)
            }
        } else if isArray {
            let array = TableArrayNode(position: start)
            let element = TableNode(origin: .arrayElement, position: start)
            array.elements.append(element)
            node.add(last.name, at: last.position, .tableArray(array))
            current = element
        } else {
            let table = TableNode(origin: .header, position: start)
            node.add(last.name, at: last.position, .table(table))
            current = table
        }
        try expectLineEnd(after: "the table header")
    }

    /// Stores `value` under the (possibly dotted) key in `table`, creating dotted tables on the way.
    func insert(_ keys: [KeyPart], _ value: TOMLValue, into table: TableNode, statementStart: SourcePosition) throws(TOMLError) {
        var node = table
        var path: [String] = []
        for part in keys.dropLast() {
            path.append(part.name)
            if let slot = node.slot(part.name) {
                switch slot.item {
                case .table(let child) where child.origin == .dotted:
                    node = child
                case .table(let child):
                    throw error(
                        "`\(path.joined(separator: "."))` is a table defined at line \(child.position.line); add the key under that [header] instead of a dotted key",
                        at: part.position)
                case .tableArray(let array):
                    throw error(
                        "`\(path.joined(separator: "."))` is an array of tables (line \(array.position.line)); dotted keys can't add to it",
                        at: part.position)
                case .value(let existing):
                    let what = existing.table != nil ? "an inline table, complete once written," : existing.typeNameWithArticle
                    throw error(
                        "`\(path.joined(separator: "."))` is \(what) (line \(existing.position.line)); dotted keys can't add to it",
                        at: part.position)
                }
            } else {
                let child = TableNode(origin: .dotted, position: part.position)
                node.add(part.name, at: part.position, .table(child))
                node = child
            }
        }
        guard let last = keys.last else { throw error("expected a key", at: statementStart) }
        if let slot = node.slot(last.name) {
            throw error(
                "duplicate key `\((path + [last.name]).joined(separator: "."))`: already set at line \(slot.keyPosition.line); remove one",
                at: last.position)
        }
        node.add(last.name, at: last.position, .value(value))
    }
}
