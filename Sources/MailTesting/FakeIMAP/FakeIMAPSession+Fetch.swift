import Foundation

extension FakeIMAPSession {
    /// One FETCH item as requested.
    enum FetchItem {
        case uid, flags, internalDate, size
        /// `BODY[section]<partial>` (also RFC822, RFC822.HEADER, RFC822.TEXT): the name to answer
        /// with, the section, the partial range, and whether it sets `\Seen`.
        case body(responseName: String, section: String, partial: (Int, Int?)?, setsSeen: Bool)
        case gmailLabels, gmailMessageID, gmailThreadID
    }

    /// FETCH and UID FETCH (a CHANGEDSINCE modifier is refused: no CONDSTORE here).
    func fetch(_ command: Command, byUID: Bool) throws {
        let arguments = try command.arguments()
        guard arguments.count == 2, let setText = arguments[0].text, let set = FakeSequenceSet(setText) else {
            return bad(command, "Invalid arguments.")
        }
        var requested: [FakeIMAPToken] = []
        switch arguments[1] {
        case .list(let list): requested = list
        case .atom(let atom) where atom.uppercased() == "FAST": requested = [.atom("FLAGS"), .atom("INTERNALDATE"), .atom("RFC822.SIZE")]
        default: requested = [arguments[1]]
        }
        var items: [FetchItem] = []
        for token in requested {
            guard let text = token.text, let item = parseFetchItem(text) else {
                return bad(command, "Invalid or unsupported fetch item \(token.text ?? "(list)")")
            }
            items.append(item)
        }
        if byUID && !items.contains(where: { if case .uid = $0 { true } else { false } }) { items.insert(.uid, at: 0) }
        guard let selected else { return bad(command, "No mailbox selected.") }
        var messages = try model.items(in: selected)
        let largest = byUID ? (messages.last?.uid ?? 0) : UInt32(messages.count)
        // Bodies fetched without PEEK set \Seen first, so the FLAGS sent are the new ones.
        let setsSeen = !readOnly && items.contains { if case .body(_, _, _, true) = $0 { true } else { false } }
        var selectedUIDs: Set<UInt32> = []
        for (offset, message) in messages.enumerated() where set.contains(byUID ? message.uid : UInt32(offset + 1), largest: largest) {
            selectedUIDs.insert(message.uid)
        }
        if refusedOverMessageLimit(command, count: selectedUIDs.count) { return }
        if setsSeen && !selectedUIDs.isEmpty {
            let unseen = Set(messages.filter { selectedUIDs.contains($0.uid) && !Self.has($0.data.flags, "\\Seen") }.map(\.uid))
            if !unseen.isEmpty {
                _ = try model.store(in: selected, uids: unseen, operation: .add, flags: ["\\Seen"])
                messages = try model.items(in: selected)
                if !items.contains(where: { if case .flags = $0 { true } else { false } }) { items.append(.flags) }
            }
        }
        for (offset, message) in messages.enumerated() where selectedUIDs.contains(message.uid) {
            var out = Array("* \(offset + 1) FETCH (".utf8)
            for (position, item) in items.enumerated() {
                if position > 0 { out.append(UInt8(ascii: " ")) }
                out += render(item, of: message)
            }
            out += Array(")\r\n".utf8)
            send(out)
        }
        ok(command, "Fetch completed.")
    }

    /// Parses `BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]<0.100>` and friends; nil when unsupported.
    func parseFetchItem(_ text: String) -> FetchItem? {
        let upper = text.uppercased()
        switch upper {
        case "UID": return .uid
        case "FLAGS": return .flags
        case "INTERNALDATE": return .internalDate
        case "RFC822.SIZE": return .size
        case "RFC822": return .body(responseName: "RFC822", section: "", partial: nil, setsSeen: true)
        case "RFC822.HEADER": return .body(responseName: "RFC822.HEADER", section: "HEADER", partial: nil, setsSeen: false)
        case "RFC822.TEXT": return .body(responseName: "RFC822.TEXT", section: "TEXT", partial: nil, setsSeen: true)
        case "X-GM-LABELS": return configuration.gmail ? .gmailLabels : nil
        case "X-GM-MSGID": return configuration.gmail ? .gmailMessageID : nil
        case "X-GM-THRID": return configuration.gmail ? .gmailThreadID : nil
        default: break
        }
        let peek = upper.hasPrefix("BODY.PEEK[")
        guard peek || upper.hasPrefix("BODY["), let open = text.firstIndex(of: "["), let close = text.lastIndex(of: "]") else { return nil }
        let section = String(text[text.index(after: open)..<close])
        let sectionUpper = section.uppercased()
        guard sectionUpper.isEmpty || sectionUpper == "HEADER" || sectionUpper == "TEXT" || sectionUpper == "1"
            || sectionUpper.hasPrefix("HEADER.FIELDS (") || sectionUpper.hasPrefix("HEADER.FIELDS.NOT (")
        else { return nil }
        var partial: (Int, Int?)?
        let rest = text[text.index(after: close)...]
        if !rest.isEmpty {
            guard rest.hasPrefix("<"), rest.hasSuffix(">") else { return nil }
            let numbers = rest.dropFirst().dropLast().split(separator: ".", omittingEmptySubsequences: false)
            guard let start = Int(numbers[0]), start >= 0, numbers.count <= 2 else { return nil }
            if numbers.count == 2 {
                guard let length = Int(numbers[1]), length >= 0 else { return nil }
                partial = (start, length)
            } else {
                partial = (start, nil)
            }
        }
        return .body(responseName: "BODY[\(section)]", section: section, partial: partial, setsSeen: !peek)
    }

    /// One item of a FETCH response for `message`.
    func render(_ item: FetchItem, of message: FakeMailModel.Item) -> [UInt8] {
        switch item {
        case .uid: return Array("UID \(message.uid)".utf8)
        case .flags: return Array("FLAGS \(FakeIMAPSyntax.flagList(message.data.flags))".utf8)
        case .internalDate: return Array("INTERNALDATE \(FakeIMAPSyntax.internalDate(message.data.internalDate))".utf8)
        case .size: return Array("RFC822.SIZE \(message.data.bytes.count)".utf8)
        case .gmailMessageID: return Array("X-GM-MSGID \(message.data.gmailMessageID)".utf8)
        case .gmailThreadID: return Array("X-GM-THRID \(message.data.gmailThreadID)".utf8)
        case .gmailLabels: return Array("X-GM-LABELS ".utf8) + Self.gmailLabelList(message.data.labels)
        case .body(let name, let section, let partial, _):
            var content = FakeMessageParts.section(section, of: message.data.bytes)
            var responseName = name
            if let (start, length) = partial {
                let from = min(start, content.count)
                let to = length.map { min(from + $0, content.count) } ?? content.count
                content = Array(content[from..<to])
                responseName += "<\(start)>"
            }
            return Array("\(responseName) ".utf8) + FakeIMAPSyntax.literal(content)
        }
    }

    /// Labels as Gmail sends them: system labels quoted (`"\\Inbox"`), plain user labels as
    /// atoms, others (`"Work/Projects"`, names with spaces) quoted.
    static func gmailLabelList(_ labels: [String]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "(")]
        for (index, label) in labels.enumerated() {
            if index > 0 { out.append(UInt8(ascii: " ")) }
            let plain = label.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0)) }
            out += plain && !label.isEmpty && label.uppercased() != "NIL" ? Array(label.utf8) : FakeIMAPSyntax.string(label)
        }
        out.append(UInt8(ascii: ")"))
        return out
    }
}

/// Cutting a message into the sections FETCH names: header, text, chosen header fields.
enum FakeMessageParts {
    /// Where the body starts: after the first empty line (CRLF CRLF or LF LF); the whole
    /// message when there is none.
    static func headerEnd(_ bytes: [UInt8]) -> Int {
        var index = 0
        var lineStart = 0
        while index < bytes.count {
            if bytes[index] == 0x0a {
                let line = bytes[lineStart..<index]
                if line.isEmpty || line == [0x0d] { return index + 1 }
                lineStart = index + 1
            }
            index += 1
        }
        return bytes.count
    }

    static func section(_ section: String, of bytes: [UInt8]) -> [UInt8] {
        let upper = section.uppercased()
        let end = headerEnd(bytes)
        switch upper {
        case "": return bytes
        case "HEADER": return Array(bytes[..<end])
        case "TEXT", "1": return Array(bytes[end...])
        default:
            let not = upper.hasPrefix("HEADER.FIELDS.NOT")
            guard let open = section.firstIndex(of: "("), let close = section.lastIndex(of: ")") else { return [] }
            let names = Set(section[section.index(after: open)..<close].split(separator: " ").map { $0.lowercased() })
            var out: [UInt8] = []
            for field in fields(Array(bytes[..<end])) {
                let name = String(decoding: field.prefix { $0 != UInt8(ascii: ":") }, as: UTF8.self)
                    .trimmingCharacters(in: .whitespaces).lowercased()
                if names.contains(name) != not { out += field }
            }
            return out + [0x0d, 0x0a]
        }
    }

    /// The header's fields, each with its continuation lines and line endings.
    static func fields(_ header: [UInt8]) -> [[UInt8]] {
        var fields: [[UInt8]] = []
        var lineStart = 0
        var index = 0
        while index < header.count {
            if header[index] == 0x0a || index == header.count - 1 {
                let line = Array(header[lineStart...index])
                lineStart = index + 1
                if line == [0x0d, 0x0a] || line == [0x0a] { break }
                if let first = line.first, first == 0x20 || first == 0x09, !fields.isEmpty {
                    fields[fields.count - 1] += line
                } else {
                    fields.append(line)
                }
            }
            index += 1
        }
        return fields
    }
}
