import Foundation
import MailCore

extension FakeIMAPSession {
    /// APPEND, one message or several (MULTIAPPEND, all or nothing), answered with
    /// `[APPENDUID validity uids]` when UIDPLUS is offered. In Gmail mode a message whose
    /// Message-ID and size match one in All Mail is not stored again (see ``FakeMailModel``).
    func append(_ command: Command) throws {
        var arguments = try command.arguments()
        guard let name = arguments.first?.text else {
            return bad(command, "Invalid arguments.")
        }
        arguments.removeFirst()
        var messages: [(bytes: [UInt8], flags: [String], date: Date)] = []
        var index = 0
        while index < arguments.count {
            var flags: [String] = []
            var date = Date()
            if case .list(let list) = arguments[index] {
                flags = list.compactMap(\.text)
                index += 1
            }
            if index < arguments.count, case .quoted(let bytes) = arguments[index] {
                guard let parsed = MessageDate.parseIMAP(String(decoding: bytes, as: UTF8.self)) else {
                    return bad(command, "Invalid date-time.")
                }
                date = parsed
                index += 1
            }
            guard index < arguments.count, case .literal(let bytes) = arguments[index] else {
                return bad(command, "Invalid arguments: a message literal is missing.")
            }
            index += 1
            if flags.contains(where: { $0.lowercased() == "\\recent" }) { return bad(command, "Invalid flag \\Recent.") }
            messages.append((bytes, flags, date))
        }
        guard !messages.isEmpty else { return bad(command, "Invalid arguments: no message.") }
        if refusedOverMessageLimit(command, count: messages.count) { return }
        if messages.count > 1 && !hasCapability("MULTIAPPEND") { return bad(command, "Invalid arguments.") }
        guard let mailbox = try? model.withMailbox(name, { $0 }) else {
            return no(command, "[TRYCREATE] Mailbox doesn't exist: \(name)")
        }
        guard mailbox.selectable else { return no(command, "[CANNOT] Mailbox is not selectable: \(name)") }
        if messages.contains(where: { $0.bytes.isEmpty }) { return no(command, "Can't save a zero byte message.") }
        if let refuse = configuration.refuseMessage, let text = messages.lazy.compactMap({ refuse($0.bytes) }).first {
            return no(command, text)
        }
        var validity: UInt32 = 0
        var uids: [UInt32] = []
        for message in messages {
            let result = try model.append(to: name, bytes: message.bytes, flags: message.flags, internalDate: message.date)
            validity = result.validity
            uids.append(result.uid)
        }
        if let selected, FakeMailModel.same(selected, name) { announceNewMessages() }
        if hasCapability("UIDPLUS") {
            ok(command, "[APPENDUID \(validity) \(fakeUIDSetText(uids))] Append completed.")
        } else {
            ok(command, "Append completed.")
        }
    }
}
