import Foundation

extension FakeIMAPSession {
    /// LIST (with LIST-EXTENDED selection and RETURN options) and LSUB.
    func list(_ command: Command, subscribedOnly lsub: Bool) throws {
        var arguments = try command.arguments()
        var subscribedOnly = lsub
        var returnSubscribed = false
        if !lsub, case .list(let selection)? = arguments.first {
            arguments.removeFirst()
            subscribedOnly = selection.contains { $0.text?.uppercased() == "SUBSCRIBED" }
            returnSubscribed = subscribedOnly
        }
        if !lsub, arguments.count >= 4, arguments[arguments.count - 2].text?.uppercased() == "RETURN",
            case .list(let options) = arguments[arguments.count - 1]
        {
            returnSubscribed = returnSubscribed || options.contains { $0.text?.uppercased() == "SUBSCRIBED" }
            arguments.removeLast(2)
        }
        guard arguments.count == 2, let reference = arguments[0].text else { return bad(command, "Invalid arguments.") }
        var patterns: [String] = []
        switch arguments[1] {
        case .list(let items): patterns = items.compactMap(\.text)
        default: patterns = [arguments[1].text ?? ""]
        }
        let verb = lsub ? "LSUB" : "LIST"
        if patterns == [""] {
            send("* \(verb) (\\Noselect) \"\(configuration.delimiter)\" \"\"\r\n")
            return ok(command, "\(verb) completed.")
        }
        let mailboxes = model.mailboxes()
        for mailbox in mailboxes {
            guard patterns.contains(where: { Self.matches(mailbox.name, pattern: reference + $0) }) else { continue }
            if subscribedOnly && !mailbox.subscribed { continue }
            var attributes: [String] = []
            if !mailbox.selectable { attributes.append("\\Noselect") }
            let hasChildren = mailboxes.contains { $0.name.hasPrefix(mailbox.name + "/") }
            if hasCapability("CHILDREN") || !lsub { attributes.append(hasChildren ? "\\HasChildren" : "\\HasNoChildren") }
            if returnSubscribed && mailbox.subscribed { attributes.append("\\Subscribed") }
            if !lsub, let specialUse = mailbox.specialUse { attributes.append(specialUse) }
            send(Array("* \(verb) (\(attributes.joined(separator: " "))) \"\(configuration.delimiter)\" ".utf8) + FakeIMAPSyntax.mailbox(mailbox.name) + [0x0d, 0x0a])
        }
        ok(command, "\(verb) completed.")
    }

    /// Whether `name` matches a LIST pattern (`*` anything, `%` anything but the delimiter);
    /// INBOX matches case-insensitively.
    static func matches(_ name: String, pattern: String) -> Bool {
        let n = Array(name.utf8)
        var p = Array(pattern.utf8)
        if name == "INBOX", pattern.uppercased().hasPrefix("INBOX") { p = Array("INBOX".utf8) + p.dropFirst(5) }
        // Dynamic programming over (pattern position, name position): O(|p|·|n|), no recursion.
        var reachable = [Bool](repeating: false, count: n.count + 1)
        reachable[0] = true
        for byte in p {
            var next = [Bool](repeating: false, count: n.count + 1)
            for i in 0...n.count where reachable[i] {
                switch byte {
                case UInt8(ascii: "*"):
                    for j in i...n.count { next[j] = true }
                case UInt8(ascii: "%"):
                    next[i] = true
                    var j = i
                    while j < n.count && n[j] != UInt8(ascii: "/") {
                        j += 1
                        next[j] = true
                    }
                default:
                    if i < n.count && n[i] == byte { next[i + 1] = true }
                }
            }
            reachable = next
        }
        return reachable[n.count]
    }

    /// STATUS with MESSAGES, RECENT, UIDNEXT, UIDVALIDITY, UNSEEN, SIZE.
    func status(_ command: Command) throws {
        let arguments = try command.arguments()
        guard arguments.count == 2, let name = arguments[0].text, case .list(let requested) = arguments[1] else {
            return bad(command, "Invalid arguments.")
        }
        guard let mailbox = try? model.withMailbox(name, { $0 }) else { return no(command, "[NONEXISTENT] Mailbox doesn't exist: \(name)") }
        guard mailbox.selectable else { return no(command, "[CANNOT] Mailbox is not selectable: \(name)") }
        let items = (try? model.items(in: name)) ?? []
        var values: [String] = []
        for item in requested {
            let key = item.text?.uppercased() ?? ""
            switch key {
            case "MESSAGES": values.append("MESSAGES \(items.count)")
            case "RECENT": values.append("RECENT 0")
            case "UIDNEXT": values.append("UIDNEXT \(mailbox.uidNext)")
            case "UIDVALIDITY": values.append("UIDVALIDITY \(mailbox.uidValidity)")
            case "UNSEEN": values.append("UNSEEN \(items.filter { !Self.has($0.data.flags, "\\Seen") }.count)")
            case "SIZE": values.append("SIZE \(items.reduce(0) { $0 + $1.data.bytes.count })")
            default: return bad(command, "Unknown STATUS item \(key)")
            }
        }
        send(Array("* STATUS ".utf8) + FakeIMAPSyntax.mailbox(mailbox.name) + Array(" (\(values.joined(separator: " ")))\r\n".utf8))
        ok(command, "Status completed.")
    }

    static func has(_ flags: [String], _ flag: String) -> Bool { flags.contains { $0.lowercased() == flag.lowercased() } }

    /// SELECT and EXAMINE (options such as `(CONDSTORE)` are accepted and ignored).
    func select(_ command: Command) throws {
        let arguments = try command.arguments()
        guard (1...2).contains(arguments.count), let name = arguments[0].text else { return bad(command, "Invalid arguments.") }
        selected = nil
        guard let mailbox = try? model.withMailbox(name, { $0 }) else {
            return no(command, "[NONEXISTENT] Mailbox doesn't exist: \(name)")
        }
        guard mailbox.selectable else { return no(command, "[CANNOT] Mailbox is not selectable: \(name)") }
        let items = (try? model.items(in: name)) ?? []
        let flags = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"]
        var keywords: [String] = []
        for item in items {
            for flag in item.data.flags where !flag.hasPrefix("\\") && !keywords.contains(flag) { keywords.append(flag) }
        }
        send("* FLAGS \(FakeIMAPSyntax.flagList(flags + keywords))\r\n")
        let examine = command.name == "EXAMINE"
        send("* OK [PERMANENTFLAGS \(FakeIMAPSyntax.flagList(examine ? [] : configuration.permanentFlags))] Flags permitted.\r\n")
        send("* \(items.count) EXISTS\r\n")
        send("* 0 RECENT\r\n")
        if let unseen = items.firstIndex(where: { !Self.has($0.data.flags, "\\Seen") }) {
            send("* OK [UNSEEN \(unseen + 1)] First unseen.\r\n")
        }
        send("* OK [UIDVALIDITY \(mailbox.uidValidity)] UIDs valid.\r\n")
        send("* OK [UIDNEXT \(mailbox.uidNext)] Predicted next UID.\r\n")
        selected = mailbox.name
        readOnly = examine
        knownExists = items.count
        ok(command, examine ? "[READ-ONLY] Examine completed." : "[READ-WRITE] Select completed.")
    }

    /// CREATE (parents too); refused names answer as configured.
    func create(_ command: Command) throws {
        let arguments = try command.arguments()
        guard (1...2).contains(arguments.count), var name = arguments[0].text else { return bad(command, "Invalid arguments.") }
        if name.hasSuffix("/") { name.removeLast() }
        if let refusal = configuration.refusedMailboxNames.first(where: { $0.key.lowercased() == name.lowercased() })?.value {
            return send("\(command.tag) \(refusal)\r\n")
        }
        do {
            try model.addMailbox(name, specialUse: nil, subscribed: false, selectable: true)
            ok(command, "Create completed.")
        } catch .alreadyExists {
            no(command, "[ALREADYEXISTS] Mailbox already exists")
        } catch {
            no(command, "[CANNOT] Invalid mailbox name: \(name)")
        }
    }

    func subscribe(_ command: Command) throws {
        let arguments = try command.arguments()
        guard arguments.count == 1, let name = arguments[0].text else { return bad(command, "Invalid arguments.") }
        do {
            try model.setSubscribed(name, command.name == "SUBSCRIBE")
            ok(command, "\(command.name.capitalized) completed.")
        } catch {
            no(command, "[NONEXISTENT] Mailbox doesn't exist: \(name)")
        }
    }
}
