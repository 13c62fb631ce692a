/// A recursive-descent parser over one complete response (line plus inline literals), after
/// RFC 3501 §9 and the extensions MailFerry meets. Each function names the ABNF rule it reads.
struct ResponseGrammar {
    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0
    private let maximumDepth: Int

    init(_ bytes: [UInt8], maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    // MARK: - Responses

    // response = continue-req / response-data / response-tagged
    mutating func parseResponse() throws(IMAPParserError) -> Response {
        if peek(UInt8(ascii: "+")) {
            index += 1
            if peek(0x20) { index += 1 }
            return .continuation(restOfLine())
        }
        if peek(UInt8(ascii: "*")) {
            index += 1
            try expectSpace()
            return .untagged(try parseUntagged())
        }
        // tag = 1*<any ASTRING-CHAR except "+">
        let tag = try readWhile("tag") { Self.isAStringChar($0) && $0 != UInt8(ascii: "+") }
        try expectSpace()
        let status = try parseStatus()
        let text = try parseRespText()
        return .tagged(TaggedResponse(tag: tag, status: status, text: text))
    }

    // response-data = "*" SP (resp-cond-state / resp-cond-bye / mailbox-data / message-data / capability-data / …) CRLF
    private mutating func parseUntagged() throws(IMAPParserError) -> UntaggedResponse {
        if let first = current, Self.isDigit(first) {
            let number = try parseNumber32()
            try expectSpace()
            let name = try readAtom().uppercased()
            switch name {
            case "EXISTS": return .exists(number)
            case "RECENT": return .recent(number)
            case "EXPUNGE": return .expunge(number)
            case "FETCH":
                try expectSpace()
                return .fetch(sequence: number, attributes: try parseFetchAttributes())
            default: return .other(name: "\(number) \(name)", text: restOfLine())
            }
        }
        let name = try readAtom().uppercased()
        switch name {
        case "OK", "NO", "BAD":
            return .condition(ResponseStatus(rawValue: name)!, try parseRespText())
        case "BYE": return .bye(try parseRespText())
        case "PREAUTH": return .preauth(try parseRespText())
        case "CAPABILITY": return .capability(parseAtomsToEnd())
        case "ENABLED": return .enabled(parseAtomsToEnd())
        case "LIST", "XLIST": return .list(try parseListEntry())
        case "LSUB": return .lsub(try parseListEntry())
        case "STATUS": return try parseStatusResponse()
        case "FLAGS":
            try expectSpace()
            return .flags(try parseFlagList())
        case "SEARCH": return try parseSearch()
        case "ESEARCH": return .extendedSearch(try parseExtendedSearch())
        case "NAMESPACE": return .namespace(try parseNamespace())
        case "VANISHED": return try parseVanished()
        case "QUOTA": return try parseQuota()
        case "QUOTAROOT": return try parseQuotaRoot()
        case "ID": return try parseID()
        default: return .other(name: name, text: skipSpaceThenRest())
        }
    }

    private mutating func parseStatus() throws(IMAPParserError) -> ResponseStatus {
        let word = try readAtom().uppercased()
        guard let status = ResponseStatus(rawValue: word) else { throw malformed("OK, NO or BAD") }
        return status
    }

    // resp-text = ["[" resp-text-code "]" SP] text
    private mutating func parseRespText() throws(IMAPParserError) -> ResponseText {
        if peek(0x20) { index += 1 }
        var code: ResponseCode?
        if peek(UInt8(ascii: "[")) {
            index += 1
            code = try parseResponseCode()
            if peek(0x20) { index += 1 }
        }
        return ResponseText(code: code, text: restOfLine())
    }

    // resp-text-code = "ALERT" / "CAPABILITY" … / atom [SP 1*<any TEXT-CHAR except "]">]
    private mutating func parseResponseCode() throws(IMAPParserError) -> ResponseCode {
        let name = try readWhile("response code") { Self.isAtomChar($0) }.uppercased()
        let code: ResponseCode
        switch name {
        case "ALERT": code = .alert
        case "CAPABILITY": code = .capability(readAtomsUntilBracket())
        case "PERMANENTFLAGS":
            try expectSpace()
            code = .permanentFlags(try parseFlagList())
        case "UIDVALIDITY":
            try expectSpace()
            code = .uidValidity(try parseNumber32())
        case "UIDNEXT":
            try expectSpace()
            code = .uidNext(try parseNumber32())
        case "UNSEEN":
            try expectSpace()
            code = .unseen(try parseNumber32())
        case "HIGHESTMODSEQ":
            try expectSpace()
            code = .highestModSeq(try parseNumber64())
        case "NOMODSEQ": code = .noModSeq
        case "READ-ONLY": code = .readOnly
        case "READ-WRITE": code = .readWrite
        case "TRYCREATE": code = .tryCreate
        case "APPENDUID":
            try expectSpace()
            let validity = try parseNumber32()
            try expectSpace()
            code = .appendUID(validity: validity, uids: try parseSequenceSet())
        case "COPYUID":
            try expectSpace()
            let validity = try parseNumber32()
            try expectSpace()
            let source = try parseSequenceSet()
            try expectSpace()
            code = .copyUID(validity: validity, source: source, destination: try parseSequenceSet())
        case "OVERQUOTA": code = .overQuota
        case "LIMIT": code = .limit
        case "UNAVAILABLE": code = .unavailable
        case "ALREADYEXISTS": code = .alreadyExists
        case "NONEXISTENT": code = .nonExistent
        case "AUTHENTICATIONFAILED": code = .authenticationFailed
        case "AUTHORIZATIONFAILED": code = .authorizationFailed
        case "EXPIRED": code = .expired
        case "PRIVACYREQUIRED": code = .privacyRequired
        case "CONTACTADMIN": code = .contactAdmin
        case "NOPERM": code = .noPermission
        case "INUSE": code = .inUse
        case "EXPUNGEISSUED": code = .expungeIssued
        case "CORRUPTION": code = .corruption
        case "SERVERBUG": code = .serverBug
        case "CLIENTBUG": code = .clientBug
        case "CANNOT": code = .cannot
        case "PARSE": code = .parse
        case "CLOSED": code = .closed
        case "BADCHARSET":
            if peek(0x20) {
                index += 1
                var charsets: [String] = []
                if peek(UInt8(ascii: "(")) {
                    for value in try parseList() { if case .atom(let text) = value { charsets.append(text) } }
                }
                code = .badCharset(charsets)
            } else {
                code = .badCharset([])
            }
        case "REFERRAL": code = .referral(String(textUntilBracket().drop(while: { $0 == " " })))
        default:
            let text = textUntilBracket()
            code = .other(name: name, text: text.isEmpty ? nil : String(text.dropFirst(text.hasPrefix(" ") ? 1 : 0)))
        }
        // Skip anything left before the closing bracket (extensions may add arguments).
        while index < bytes.count && bytes[index] != UInt8(ascii: "]") { index += 1 }
        guard peek(UInt8(ascii: "]")) else { throw malformed("] closing a response code") }
        index += 1
        return code
    }

    // mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox [SP mbox-list-extended]
    private mutating func parseListEntry() throws(IMAPParserError) -> ListEntry {
        try expectSpace()
        let attributes = try parseFlagList()
        try expectSpace()
        var delimiter: Character?
        if peek(UInt8(ascii: "\"")) {
            let raw = try parseQuoted()
            guard raw.count == 1 else { throw malformed("a one-character hierarchy delimiter") }
            delimiter = Character(Unicode.Scalar(raw[0]))
        } else {
            let word = try readAtom()
            guard word.uppercased() == "NIL" else { throw malformed("a hierarchy delimiter or NIL") }
        }
        try expectSpace()
        let name = try parseAString()
        return ListEntry(attributes: attributes, delimiter: delimiter, name: name)
    }

    // status-response = "STATUS" SP mailbox SP "(" [status-att-list] ")"
    private mutating func parseStatusResponse() throws(IMAPParserError) -> UntaggedResponse {
        try expectSpace()
        let mailbox = try parseAString()
        try expectSpace()
        var items: [String: UInt64] = [:]
        var values = try parseList()
        while values.count >= 2 {
            if case .atom(let name) = values[0], case .number(let value) = values[1] {
                items[name.uppercased()] = value
            }
            values.removeFirst(2)
        }
        return .status(mailbox: mailbox, items: items)
    }

    // mailbox-data =/ "SEARCH" *(SP nz-number) [SP "(" "MODSEQ" SP mod-sequence-value ")"]
    private mutating func parseSearch() throws(IMAPParserError) -> UntaggedResponse {
        var ids: [UInt32] = []
        var modSeq: UInt64?
        while peek(0x20) {
            index += 1
            if peek(UInt8(ascii: "(")) {
                let values = try parseList()
                if values.count == 2, case .number(let value) = values[1] { modSeq = value }
            } else if let current, Self.isDigit(current) {
                ids.append(try parseNumber32())
            } else {
                break
            }
        }
        return .search(ids: ids, modSeq: modSeq)
    }

    // esearch-response = "ESEARCH" [search-correlator] [SP "UID"] *(SP search-return-data)
    private mutating func parseExtendedSearch() throws(IMAPParserError) -> ExtendedSearchResponse {
        var result = ExtendedSearchResponse(tag: nil, uid: false)
        while peek(0x20) {
            index += 1
            if peek(UInt8(ascii: "(")) {
                let values = try parseList()
                if values.count == 2, case .string(let tag) = values[1] { result.tag = String(decoding: tag, as: UTF8.self) }
                continue
            }
            let name = try readAtom().uppercased()
            if name == "UID" {
                result.uid = true
                continue
            }
            try expectSpace()
            switch name {
            case "MIN": result.min = try parseNumber32()
            case "MAX": result.max = try parseNumber32()
            case "COUNT": result.count = Int(clamping: try parseNumber64())
            case "ALL": result.all = try parseSequenceSet()
            case "MODSEQ": result.modSeq = try parseNumber64()
            default: _ = try parseValue()
            }
        }
        return result
    }

    // Namespace-Response = "NAMESPACE" SP Namespace SP Namespace SP Namespace
    private mutating func parseNamespace() throws(IMAPParserError) -> NamespaceResponse {
        var groups: [[NamespaceDescription]] = []
        for _ in 0..<3 {
            try expectSpace()
            var group: [NamespaceDescription] = []
            if peek(UInt8(ascii: "(")) {
                for value in try parseList() {
                    guard case .list(let parts) = value, parts.count >= 2, case .string(let prefix) = parts[0] else {
                        throw malformed("a namespace description")
                    }
                    var delimiter: Character?
                    if case .string(let raw) = parts[1], raw.count == 1 { delimiter = Character(Unicode.Scalar(raw[0])) }
                    group.append(NamespaceDescription(prefix: prefix, delimiter: delimiter))
                }
            } else {
                guard try readAtom().uppercased() == "NIL" else { throw malformed("a namespace list or NIL") }
            }
            groups.append(group)
        }
        return NamespaceResponse(personal: groups[0], otherUsers: groups[1], shared: groups[2])
    }

    // expunged-resp = "VANISHED" [SP "(EARLIER)"] SP known-uids
    private mutating func parseVanished() throws(IMAPParserError) -> UntaggedResponse {
        try expectSpace()
        var earlier = false
        if peek(UInt8(ascii: "(")) {
            let values = try parseList()
            earlier = values.contains { if case .atom(let word) = $0 { word.uppercased() == "EARLIER" } else { false } }
            try expectSpace()
        }
        return .vanished(earlier: earlier, uids: try parseSequenceSet())
    }

    // quota-response = "QUOTA" SP quota-root-name SP quota-list
    private mutating func parseQuota() throws(IMAPParserError) -> UntaggedResponse {
        try expectSpace()
        let root = try parseAString()
        try expectSpace()
        var values = try parseList()
        var resources: [QuotaResource] = []
        while values.count >= 3 {
            if case .atom(let name) = values[0], case .number(let usage) = values[1], case .number(let limit) = values[2] {
                resources.append(QuotaResource(name: name.uppercased(), usage: usage, limit: limit))
            }
            values.removeFirst(3)
        }
        return .quota(root: root, resources: resources)
    }

    // quotaroot-response = "QUOTAROOT" SP mailbox *(SP quota-root-name)
    private mutating func parseQuotaRoot() throws(IMAPParserError) -> UntaggedResponse {
        try expectSpace()
        let mailbox = try parseAString()
        var roots: [[UInt8]] = []
        while peek(0x20) {
            index += 1
            roots.append(try parseAString())
        }
        return .quotaRoot(mailbox: mailbox, roots: roots)
    }

    // id-response = "ID" SP id-params-list
    private mutating func parseID() throws(IMAPParserError) -> UntaggedResponse {
        try expectSpace()
        var fields: [String: String] = [:]
        if peek(UInt8(ascii: "(")) {
            var values = try parseList()
            while values.count >= 2 {
                if case .string(let key) = values[0] {
                    if case .string(let value) = values[1] {
                        fields[String(decoding: key, as: UTF8.self)] = String(decoding: value, as: UTF8.self)
                    }
                }
                values.removeFirst(2)
            }
        } else {
            _ = try readAtom()
        }
        return .id(fields)
    }

    // MARK: - FETCH

    // msg-att = "(" (msg-att-dynamic / msg-att-static) *(SP (msg-att-dynamic / msg-att-static)) ")"
    private mutating func parseFetchAttributes() throws(IMAPParserError) -> [FetchAttribute] {
        try expect(UInt8(ascii: "("), "( opening FETCH data")
        var attributes: [FetchAttribute] = []
        if peek(UInt8(ascii: ")")) {
            index += 1
            return attributes
        }
        while true {
            attributes.append(try parseFetchAttribute())
            if peek(UInt8(ascii: ")")) {
                index += 1
                return attributes
            }
            try expectSpace()
        }
    }

    private mutating func parseFetchAttribute() throws(IMAPParserError) -> FetchAttribute {
        let name = try readFetchItemName()
        let upper = name.uppercased()
        try expectSpace()
        switch upper {
        case "UID": return .uid(try parseNumber32())
        case "FLAGS": return .flags(try parseFlagList())
        case "INTERNALDATE": return .internalDate(String(decoding: try parseString(), as: UTF8.self))
        case "RFC822.SIZE": return .rfc822Size(Int(clamping: try parseNumber64()))
        case "MODSEQ":
            let values = try parseList()
            guard values.count == 1, case .number(let value) = values[0] else { throw malformed("MODSEQ (value)") }
            return .modSeq(value)
        case "X-GM-MSGID": return .gmailMessageID(try parseNumber64())
        case "X-GM-THRID": return .gmailThreadID(try parseNumber64())
        case "X-GM-LABELS":
            var labels: [[UInt8]] = []
            for value in try parseList() {
                switch value {
                case .string(let bytes): labels.append(bytes)
                case .atom(let text): labels.append(Array(text.utf8))
                case .number(let number): labels.append(Array(String(number).utf8))
                default: break
                }
            }
            return .gmailLabels(labels)
        case "BODYSTRUCTURE", "BODY": return .bodyStructure(try parseValue())
        case "ENVELOPE": return .envelope(try parseValue())
        default:
            if upper.hasPrefix("BODY[") || upper.hasPrefix("BINARY[") || upper.hasPrefix("RFC822") {
                if peek(0) {
                    index += 1
                    var size = 0
                    while let digit = current, Self.isDigit(digit), size < Int.max / 10 {
                        size = size * 10 + Int(digit - 0x30)
                        index += 1
                    }
                    try expect(0, "the end of a streamed body marker")
                    return .streamedBody(section: name, size: size)
                }
                switch try parseValue() {
                case .string(let content): return .inlineBody(section: name, bytes: content)
                case .nil: return .inlineBody(section: name, bytes: [])
                default: throw malformed("a body section's value")
                }
            }
            return .other(name: name, value: try parseValue())
        }
    }

    /// A FETCH item name, including a bracketed section and a partial origin: `BODY[HEADER.FIELDS (A B)]<0>`.
    private mutating func readFetchItemName() throws(IMAPParserError) -> String {
        let start = index
        while index < bytes.count, Self.isAtomChar(bytes[index]) || bytes[index] == UInt8(ascii: "[") {
            if bytes[index] == UInt8(ascii: "[") {
                var bracketDepth = 0
                while index < bytes.count {
                    if bytes[index] == UInt8(ascii: "[") { bracketDepth += 1 }
                    if bytes[index] == UInt8(ascii: "]") {
                        bracketDepth -= 1
                        if bracketDepth == 0 { break }
                    }
                    index += 1
                }
                guard index < bytes.count else { throw malformed("] closing a body section") }
                index += 1
                if peek(UInt8(ascii: "<")) {
                    while index < bytes.count && bytes[index] != UInt8(ascii: ">") { index += 1 }
                    try expect(UInt8(ascii: ">"), "> closing a partial origin")
                }
                break
            }
            index += 1
        }
        guard index > start else { throw malformed("a FETCH item name") }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    // MARK: - Values

    /// Any value: number, atom, string, NIL or a list (depth-limited).
    private mutating func parseValue() throws(IMAPParserError) -> IMAPValue {
        guard let byte = current else { throw malformed("a value") }
        switch byte {
        case UInt8(ascii: "("): return .list(try parseList())
        case UInt8(ascii: "\""), UInt8(ascii: "{"), UInt8(ascii: "~"): return .string(try parseString())
        default:
            if Self.isDigit(byte) {
                let start = index
                if let number = try? parseNumber64(), current.map({ !Self.isAtomChar($0) }) ?? true {
                    return .number(number)
                }
                index = start
            }
            let atom = try readWhile("an atom") { Self.isAtomChar($0) || $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "]") || $0 == UInt8(ascii: "[") }
            return atom.uppercased() == "NIL" ? .nil : .atom(atom)
        }
    }

    // "(" [value *(SP value)] ")"
    private mutating func parseList() throws(IMAPParserError) -> [IMAPValue] {
        try expect(UInt8(ascii: "("), "(")
        depth += 1
        defer { depth -= 1 }
        guard depth <= maximumDepth else { throw .nestingTooDeep(maximum: maximumDepth) }
        var values: [IMAPValue] = []
        while true {
            while peek(0x20) { index += 1 }
            if peek(UInt8(ascii: ")")) {
                index += 1
                return values
            }
            values.append(try parseValue())
        }
    }

    // flag-list = "(" [flag *(SP flag)] ")"; also mbx-list-flags
    private mutating func parseFlagList() throws(IMAPParserError) -> [String] {
        try expect(UInt8(ascii: "("), "( opening a flag list")
        var flags: [String] = []
        while true {
            while peek(0x20) { index += 1 }
            if peek(UInt8(ascii: ")")) {
                index += 1
                return flags
            }
            let flag = try readWhile("a flag") {
                Self.isAtomChar($0) || $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "]")
            }
            flags.append(flag)
        }
    }

    // astring = 1*ASTRING-CHAR / string
    private mutating func parseAString() throws(IMAPParserError) -> [UInt8] {
        if let byte = current, byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "{") || byte == UInt8(ascii: "~") {
            return try parseString()
        }
        let start = index
        while index < bytes.count && Self.isAStringChar(bytes[index]) { index += 1 }
        guard index > start else { throw malformed("a mailbox name") }
        return Array(bytes[start..<index])
    }

    // string = quoted / literal
    private mutating func parseString() throws(IMAPParserError) -> [UInt8] {
        if peek(UInt8(ascii: "\"")) { return try parseQuoted() }
        if peek(UInt8(ascii: "~")) { index += 1 }
        try expect(UInt8(ascii: "{"), "a string")
        var size = 0
        var digits = 0
        while let byte = current, Self.isDigit(byte) {
            size = size * 10 + Int(byte - 0x30)
            digits += 1
            index += 1
            guard digits <= 10 else { throw malformed("a literal size") }
        }
        if peek(UInt8(ascii: "+")) { index += 1 }
        try expect(UInt8(ascii: "}"), "} closing a literal size")
        if peek(0x0d) { index += 1 }
        try expect(0x0a, "a line break after a literal size")
        guard index + size <= bytes.count else { throw malformed("\(size) literal bytes") }
        defer { index += size }
        return Array(bytes[index..<(index + size)])
    }

    // quoted = DQUOTE *QUOTED-CHAR DQUOTE
    private mutating func parseQuoted() throws(IMAPParserError) -> [UInt8] {
        try expect(UInt8(ascii: "\""), "\"")
        var result: [UInt8] = []
        while let byte = current {
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return result
            case UInt8(ascii: "\\"):
                guard let escaped = current else { throw malformed("an escaped character") }
                index += 1
                result.append(escaped)
            case 0x0d, 0x0a: throw malformed("a closing quote before the line end")
            default: result.append(byte)
            }
        }
        throw malformed("a closing quote")
    }

    // sequence-set = (seq-number / seq-range) ["," sequence-set]
    private mutating func parseSequenceSet() throws(IMAPParserError) -> UIDSet {
        let text = try readWhile("a UID set") { Self.isDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "*") }
        do {
            return try UIDSet(validating: text)
        } catch .tooManyParts(let maximum) {
            throw malformed("a UID set of at most \(maximum) parts")
        } catch {
            throw malformed("a UID set")
        }
    }

    private mutating func parseNumber32() throws(IMAPParserError) -> UInt32 {
        let value = try parseNumber64()
        guard value <= UInt64(UInt32.max) else { throw malformed("a 32-bit number") }
        return UInt32(value)
    }

    private mutating func parseNumber64() throws(IMAPParserError) -> UInt64 {
        let start = index
        var value: UInt64 = 0
        while let byte = current, Self.isDigit(byte) {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(byte - 0x30))
            guard !overflow1 && !overflow2 else { throw malformed("a number that fits 64 bits") }
            value = sum
            index += 1
        }
        guard index > start else { throw malformed("a number") }
        return value
    }

    // MARK: - Tokens

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func peek(_ byte: UInt8) -> Bool { index < bytes.count && bytes[index] == byte }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(IMAPParserError) {
        guard peek(byte) else { throw malformed(what) }
        index += 1
    }

    private mutating func expectSpace() throws(IMAPParserError) { try expect(0x20, "a space") }

    private mutating func readAtom() throws(IMAPParserError) -> String {
        try readWhile("an atom") { Self.isAtomChar($0) }
    }

    private mutating func readWhile(_ what: String, _ accept: (UInt8) -> Bool) throws(IMAPParserError) -> String {
        let start = index
        while index < bytes.count && accept(bytes[index]) { index += 1 }
        guard index > start else { throw malformed(what) }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func parseAtomsToEnd() -> [String] {
        var atoms: [String] = []
        while peek(0x20) {
            index += 1
            let start = index
            while index < bytes.count && bytes[index] != 0x20 && bytes[index] != 0x0d && bytes[index] != 0x0a { index += 1 }
            if index > start { atoms.append(String(decoding: bytes[start..<index], as: UTF8.self)) }
        }
        return atoms
    }

    private mutating func readAtomsUntilBracket() -> [String] {
        textUntilBracket().split(separator: " ").map(String.init)
    }

    private mutating func textUntilBracket() -> String {
        let start = index
        while index < bytes.count && bytes[index] != UInt8(ascii: "]") && bytes[index] != 0x0d && bytes[index] != 0x0a {
            index += 1
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func skipSpaceThenRest() -> String {
        if peek(0x20) { index += 1 }
        return restOfLine()
    }

    /// The text up to CRLF (not included), as UTF-8 (invalid bytes replaced).
    private mutating func restOfLine() -> String {
        let start = index
        var end = bytes.count
        while end > start && (bytes[end - 1] == 0x0a || bytes[end - 1] == 0x0d) { end -= 1 }
        index = bytes.count
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    private func malformed(_ expected: String) -> IMAPParserError {
        let excerpt = String(decoding: bytes.prefix(120).map { $0 < 0x20 || $0 == 0x7f ? UInt8(ascii: ".") : $0 }, as: UTF8.self)
        return .malformed(expected: "\(expected) at byte \(index)", excerpt: excerpt)
    }

    // MARK: - Character classes (RFC 3501 §9)

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// ATOM-CHAR: any CHAR except atom-specials ( ) { SP CTL % * " \ ]
    static func isAtomChar(_ byte: UInt8) -> Bool {
        switch byte {
        case 0...0x20, 0x7f...0xff: return false
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "%"), UInt8(ascii: "*"),
            UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "]"):
            return false
        default: return true
        }
    }

    /// ASTRING-CHAR: ATOM-CHAR or "]" (and 8-bit bytes, which UTF8=ACCEPT servers send).
    static func isAStringChar(_ byte: UInt8) -> Bool {
        isAtomChar(byte) || byte == UInt8(ascii: "]") || byte >= 0x80
    }
}
