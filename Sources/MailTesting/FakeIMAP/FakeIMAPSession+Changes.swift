import Foundation

extension FakeIMAPSession {
    /// The UIDs of the selected mailbox's messages a sequence or UID set names.
    func resolve(_ set: FakeSequenceSet, byUID: Bool, in messages: [FakeMailModel.Item]) -> Set<UInt32> {
        let largest = byUID ? (messages.last?.uid ?? 0) : UInt32(messages.count)
        var uids: Set<UInt32> = []
        for (offset, message) in messages.enumerated() where set.contains(byUID ? message.uid : UInt32(offset + 1), largest: largest) {
            uids.insert(message.uid)
        }
        return uids
    }

    /// STORE and UID STORE: `FLAGS`, `+FLAGS`, `-FLAGS`, each optionally `.SILENT`.
    func store(_ command: Command, byUID: Bool) throws {
        let arguments = try command.arguments()
        guard arguments.count >= 3, let setText = arguments[0].text, let set = FakeSequenceSet(setText),
            var operationText = arguments[1].text?.uppercased()
        else { return bad(command, "Invalid arguments.") }
        guard let selected else { return bad(command, "No mailbox selected.") }
        if readOnly { return no(command, "[READ-ONLY] Mailbox is read-only.") }
        let silent = operationText.hasSuffix(".SILENT")
        if silent { operationText.removeLast(".SILENT".count) }
        let operation: FlagOperation
        switch operationText {
        case "FLAGS": operation = .replace
        case "+FLAGS": operation = .add
        case "-FLAGS": operation = .remove
        default: return bad(command, "Invalid STORE operation \(operationText)")
        }
        var flags: [String] = []
        for token in arguments[2...] {
            if case .list(let list) = token { flags += list.compactMap(\.text) } else if let text = token.text { flags.append(text) }
        }
        if flags.contains(where: { $0.lowercased() == "\\recent" }) { return bad(command, "Invalid flag \\Recent.") }
        let before = try model.items(in: selected)
        let uids = resolve(set, byUID: byUID, in: before)
        if refusedOverMessageLimit(command, count: uids.count) { return }
        _ = try model.store(in: selected, uids: uids, operation: operation, flags: flags)
        if !silent {
            for (offset, message) in try model.items(in: selected).enumerated() where uids.contains(message.uid) {
                send("* \(offset + 1) FETCH (\(byUID ? "UID \(message.uid) " : "")FLAGS \(FakeIMAPSyntax.flagList(message.data.flags)))\r\n")
            }
        }
        ok(command, "Store completed.")
    }

    /// EXPUNGE (all `\Deleted`) and UID EXPUNGE (those also in `uids`).
    func expunge(_ command: Command, uids: FakeSequenceSet?) throws {
        guard let selected else { return bad(command, "No mailbox selected.") }
        if readOnly { return no(command, "[READ-ONLY] Mailbox is read-only.") }
        let before = try model.items(in: selected)
        let limit = uids.map { resolve($0, byUID: true, in: before) }
        if let limit, refusedOverMessageLimit(command, count: limit.count) { return }
        let removed = Set(try model.expunge(in: selected, uids: limit))
        announceExpunges(removed, from: before)
        ok(command, "Expunge completed.")
    }

    /// `* n EXPUNGE` for each removed message, highest first so the numbers stay right.
    func announceExpunges(_ removed: Set<UInt32>, from before: [FakeMailModel.Item]) {
        for (offset, message) in before.enumerated().reversed() where removed.contains(message.uid) {
            send("* \(offset + 1) EXPUNGE\r\n")
        }
        knownExists = before.count - removed.count
    }

    /// COPY and MOVE (UID or sequence), answered with `[COPYUID]` when UIDPLUS is offered.
    func copy(_ command: Command, byUID: Bool, move: Bool) throws {
        let arguments = try command.arguments()
        guard arguments.count == 2, let setText = arguments[0].text, let set = FakeSequenceSet(setText), let target = arguments[1].text else {
            return bad(command, "Invalid arguments.")
        }
        guard let selected else { return bad(command, "No mailbox selected.") }
        if move && readOnly { return no(command, "[READ-ONLY] Mailbox is read-only.") }
        guard let mailbox = try? model.withMailbox(target, { $0 }) else {
            return no(command, "[TRYCREATE] Mailbox doesn't exist: \(target)")
        }
        guard mailbox.selectable else { return no(command, "[CANNOT] Mailbox is not selectable: \(target)") }
        let before = try model.items(in: selected)
        let uids = resolve(set, byUID: byUID, in: before)
        if refusedOverMessageLimit(command, count: uids.count) { return }
        let (validity, pairs) = try model.copy(from: selected, uids: uids, to: target)
        let code = hasCapability("UIDPLUS") && !pairs.isEmpty
            ? "[COPYUID \(validity) \(fakeUIDSetText(pairs.map(\.0))) \(fakeUIDSetText(pairs.map(\.1)))] " : ""
        if move {
            if !code.isEmpty { send("* OK \(code)Moved.\r\n") }
            // Gmail: moving out of All Mail only labels the message (it stays in All Mail).
            let keep = (try? model.withMailbox(selected) { $0.view == .allMail }) ?? false
            let removed = keep ? [] : Set(try model.remove(from: selected, uids: uids))
            announceExpunges(removed, from: before)
            ok(command, "Move completed.")
        } else {
            ok(command, "\(code)Copy completed.")
        }
    }
}
