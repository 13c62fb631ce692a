import Foundation

extension FakeIMAPSession {
    /// A search key compiled into a test on one message (its sequence number given).
    typealias SearchTest = (FakeMailModel.Item, UInt32) -> Bool

    /// SEARCH and UID SEARCH: flags, dates (internal date, UTC days), sizes, UID and sequence
    /// sets, HEADER/SUBJECT/FROM/TO substrings, NOT, OR, parentheses, Gmail's X-GM-MSGID,
    /// X-GM-THRID and X-GM-LABELS. Any other key is BAD, as a strict server answers.
    func search(_ command: Command, byUID: Bool) throws {
        var arguments = try command.arguments()
        if arguments.first?.text?.uppercased() == "CHARSET" {
            guard arguments.count >= 2, ["UTF-8", "US-ASCII"].contains(arguments[1].text?.uppercased() ?? "") else {
                return no(command, "[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset.")
            }
            arguments.removeFirst(2)
        }
        guard let selected else { return bad(command, "No mailbox selected.") }
        let messages = try model.items(in: selected)
        let largestUID = messages.last?.uid ?? 0
        let count = UInt32(messages.count)
        var index = 0
        var tests: [SearchTest] = []
        // The messages a search examines: those its top-level UID and sequence sets name.
        var scope: [SearchTest] = []
        while index < arguments.count {
            let text = arguments[index].text?.uppercased() ?? ""
            let test = try searchKey(arguments, &index, largestUID: largestUID, count: count)
            tests.append(test)
            if text == "UID" || FakeSequenceSet(text) != nil { scope.append(test) }
        }
        guard !tests.isEmpty else { return bad(command, "Missing search key.") }
        let examined = messages.enumerated().filter { offset, message in scope.allSatisfy { $0(message, UInt32(offset + 1)) } }.count
        if refusedOverMessageLimit(command, count: examined) { return }
        var found: [String] = []
        for (offset, message) in messages.enumerated() {
            let number = UInt32(offset + 1)
            if tests.allSatisfy({ $0(message, number) }) { found.append(String(byUID ? message.uid : number)) }
        }
        send("* SEARCH" + found.map { " " + $0 }.joined() + "\r\n")
        ok(command, "Search completed.")
    }

    private func searchKey(_ tokens: [FakeIMAPToken], _ index: inout Int, largestUID: UInt32, count: UInt32) throws -> SearchTest {
        guard index < tokens.count else { throw FakeIMAPSyntaxError(reason: "missing search key") }
        let token = tokens[index]
        index += 1
        if case .list(let inner) = token {
            var innerIndex = 0
            var tests: [SearchTest] = []
            while innerIndex < inner.count { tests.append(try searchKey(inner, &innerIndex, largestUID: largestUID, count: count)) }
            return { message, number in tests.allSatisfy { $0(message, number) } }
        }
        guard let key = token.text?.uppercased() else { throw FakeIMAPSyntaxError(reason: "bad search key") }
        func argument() throws -> String {
            guard index < tokens.count, let text = tokens[index].text else { throw FakeIMAPSyntaxError(reason: "\(key) needs an argument") }
            index += 1
            return text
        }
        func flag(_ name: String, _ present: Bool) -> SearchTest {
            { message, _ in Self.has(message.data.flags, name) == present }
        }
        func day(_ compare: @escaping (Int, Int) -> Bool) throws -> SearchTest {
            let text = try argument()
            guard let wanted = FakeIMAPSyntax.searchDay(text) else { throw FakeIMAPSyntaxError(reason: "bad date \(text)") }
            return { message, _ in compare(FakeIMAPSyntax.day(of: message.data.internalDate), wanted) }
        }
        func header(_ field: String) throws -> SearchTest {
            let needle = try argument().lowercased()
            let name = field.lowercased()
            return { message, _ in
                let header = Array(message.data.bytes[..<FakeMessageParts.headerEnd(message.data.bytes)])
                return FakeMessageParts.fields(header).contains { field in
                    let text = String(decoding: field, as: UTF8.self)
                    guard let colon = text.firstIndex(of: ":"),
                        text[..<colon].trimmingCharacters(in: .whitespaces).lowercased() == name
                    else { return false }
                    return needle.isEmpty || text[text.index(after: colon)...].lowercased().contains(needle)
                }
            }
        }
        switch key {
        case "ALL": return { _, _ in true }
        case "SEEN": return flag("\\Seen", true)
        case "UNSEEN": return flag("\\Seen", false)
        case "FLAGGED": return flag("\\Flagged", true)
        case "UNFLAGGED": return flag("\\Flagged", false)
        case "DELETED": return flag("\\Deleted", true)
        case "UNDELETED": return flag("\\Deleted", false)
        case "ANSWERED": return flag("\\Answered", true)
        case "UNANSWERED": return flag("\\Answered", false)
        case "DRAFT": return flag("\\Draft", true)
        case "UNDRAFT": return flag("\\Draft", false)
        case "KEYWORD": return flag(try argument(), true)
        case "UNKEYWORD": return flag(try argument(), false)
        case "NEW", "RECENT": return { _, _ in false }
        case "OLD": return { _, _ in true }
        case "SINCE": return try day { $0 >= $1 }
        case "BEFORE": return try day { $0 < $1 }
        case "ON": return try day { $0 == $1 }
        case "LARGER", "SMALLER":
            let text = try argument()
            guard let size = Int(text) else { throw FakeIMAPSyntaxError(reason: "bad size \(text)") }
            return key == "LARGER" ? { message, _ in message.data.bytes.count > size } : { message, _ in message.data.bytes.count < size }
        case "UID":
            let text = try argument()
            guard let set = FakeSequenceSet(text) else { throw FakeIMAPSyntaxError(reason: "bad UID set \(text)") }
            return { message, _ in set.contains(message.uid, largest: largestUID) }
        case "HEADER": return try header(try argument())
        case "SUBJECT", "FROM", "TO", "CC", "BCC": return try header(key)
        case "NOT":
            let inner = try searchKey(tokens, &index, largestUID: largestUID, count: count)
            return { message, number in !inner(message, number) }
        case "OR":
            let left = try searchKey(tokens, &index, largestUID: largestUID, count: count)
            let right = try searchKey(tokens, &index, largestUID: largestUID, count: count)
            return { message, number in left(message, number) || right(message, number) }
        case "X-GM-MSGID" where configuration.gmail, "X-GM-THRID" where configuration.gmail:
            let text = try argument()
            guard let value = UInt64(text) else { throw FakeIMAPSyntaxError(reason: "bad id \(text)") }
            return key == "X-GM-MSGID"
                ? { message, _ in message.data.gmailMessageID == value } : { message, _ in message.data.gmailThreadID == value }
        case "X-GM-LABELS" where configuration.gmail:
            let label = try argument()
            return { message, _ in FakeMailModel.hasLabel(message.data, label) }
        default:
            if let set = FakeSequenceSet(key) { return { _, number in set.contains(number, largest: count) } }
            throw FakeIMAPSyntaxError(reason: "unknown search key \(key)")
        }
    }
}
