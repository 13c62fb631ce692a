import Foundation

/// One connection's conversation: greeting, reading commands (with the interceptor's say),
/// state (not authenticated, authenticated, selected) and dispatch. Runs on its connection's
/// thread only; the mail itself lives in the shared ``FakeMailModel``.
final class FakeIMAPSession {
    /// A complete command: its tag and name, and all its bytes with literals embedded.
    struct Command {
        var tag: String
        var name: String
        var bytes: [UInt8]
        /// Where the arguments start in `bytes`.
        var argumentsStart: Int

        func arguments() throws(FakeIMAPSyntaxError) -> [FakeIMAPToken] {
            try FakeIMAPTokenizer.tokens(bytes, from: argumentsStart)
        }
    }

    enum Incoming {
        case command(Command)
        /// Already answered (an interception, a refused line); read the next one.
        case handled
        case closed
    }

    let core: FakeIMAPCore
    let socket: FakeIMAPSocket
    let connection: Int
    let overLimit: Bool
    var configuration: FakeIMAPServer.Configuration { core.configuration }
    var model: FakeMailModel { core.model }

    var authenticated = false
    /// The selected mailbox's name and whether it was EXAMINEd.
    var selected: String?
    var readOnly = false
    /// EXISTS as this session last told the client.
    var knownExists = 0

    /// Most commands per connection.
    static let commandLimit = 1_000_000
    /// Most literals in one command (MULTIAPPEND).
    static let literalLimit = 10_000

    init(core: FakeIMAPCore, socket: FakeIMAPSocket, connection: Int, overLimit: Bool) {
        self.core = core
        self.socket = socket
        self.connection = connection
        self.overLimit = overLimit
    }

    func run() {
        if overLimit, case .byeGreeting(let text) = configuration.tooManyConnections {
            send("* BYE \(text)\r\n")
            return
        }
        let code = configuration.capabilitiesInGreeting ? "[CAPABILITY \(configuration.capabilities.joined(separator: " "))] " : ""
        send("* OK \(code)\(configuration.greeting)\r\n")
        for _ in 0..<Self.commandLimit {
            guard !core.isStopped else { return }
            switch readCommand() {
            case .closed: return
            case .handled: continue
            case .command(let command):
                guard dispatch(command) else { return }
            }
        }
    }

    // MARK: - Reading

    /// Reads one command, consulting the interceptor once its first line is in.
    func readCommand() -> Incoming {
        let first: [UInt8]
        switch socket.readLine(limit: configuration.maximumLineLength) {
        case .closed:
            if !core.isStopped { send("* BYE Autologout; idle for too long\r\n") }
            return .closed
        case .tooLong(let prefix):
            let tag = String(decoding: prefix.prefix { $0 != UInt8(ascii: " ") }, as: UTF8.self)
            core.log(connection: connection, line: String(decoding: prefix, as: UTF8.self) + "… (too long)")
            send("\(tag.isEmpty ? "*" : tag) BAD [TOOBIG] Command line too long\r\n")
            return .handled
        case .line(let line): first = line
        }
        if first.isEmpty { return .handled }
        let text = String(decoding: first, as: UTF8.self)
        let words = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        let tag = words[0]
        guard !tag.isEmpty, tag != "*", tag != "+", tag.utf8.allSatisfy({ FakeIMAPSyntax.isAtomChar($0) && $0 != UInt8(ascii: "+") }) else {
            core.log(connection: connection, line: text)
            send("* BAD Invalid tag\r\n")
            return .handled
        }
        guard words.count >= 2, !words[1].isEmpty else {
            core.log(connection: connection, line: text)
            send("\(tag) BAD Missing command\r\n")
            return .handled
        }
        var name = words[1].uppercased()
        var argumentsStart = tag.utf8.count + 1 + words[1].utf8.count + 1
        if name == "UID", words.count == 3 {
            let sub = words[2].prefix { $0 != " " }
            name += " " + sub.uppercased()
            argumentsStart += sub.utf8.count + 1
        }
        let request = FakeIMAPServer.Request(
            connection: connection, tag: tag, command: name, line: text, occurrence: core.count(name))
        var decision = core.intercept?(request) ?? .proceed
        if case .delay(let seconds) = decision {
            Thread.sleep(forTimeInterval: min(max(seconds, 0), 60))
            decision = .proceed
        }
        var bytes = first
        var logLine = text
        defer { core.log(connection: connection, line: logLine) }
        var current = first
        for _ in 0..<Self.literalLimit {
            guard let (size, synchronizing) = Self.literalAtEnd(of: current) else { break }
            if size > configuration.maximumLiteralSize {
                send("\(tag) BAD [TOOBIG] Literal too large (at most \(configuration.maximumLiteralSize) bytes)\r\n")
                if synchronizing { return .handled }
                send("* BYE Literal too large\r\n")
                return .closed
            }
            if synchronizing {
                if let answered = answer(decision, tag: tag) { return answered }
                send("+ Ready for literal data\r\n")
            }
            guard let literal = socket.readBytes(size) else { return .closed }
            bytes += [0x0d, 0x0a] + literal
            switch socket.readLine(limit: configuration.maximumLineLength) {
            case .line(let line):
                current = line
                bytes += line
                logLine += String(decoding: line, as: UTF8.self)
            case .tooLong:
                send("\(tag) BAD [TOOBIG] Command line too long\r\n")
                return .handled
            case .closed:
                return .closed
            }
        }
        return answer(decision, tag: tag)
            ?? .command(Command(tag: tag, name: name, bytes: bytes, argumentsStart: min(argumentsStart, bytes.count)))
    }

    /// The size of a literal announced at the end of `line` (`{12}`, `{12+}`, `{12-}`) and
    /// whether the client waits for `+`.
    static func literalAtEnd(of line: [UInt8]) -> (Int, Bool)? {
        guard line.last == UInt8(ascii: "}"), let open = line.lastIndex(of: UInt8(ascii: "{")) else { return nil }
        var digits = line[(open + 1)..<(line.count - 1)]
        var synchronizing = true
        if digits.last == UInt8(ascii: "+") || digits.last == UInt8(ascii: "-") {
            synchronizing = false
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let size = Int(String(decoding: digits, as: UTF8.self))
        else { return nil }
        return (size, synchronizing)
    }

    // MARK: - Writing

    func send(_ text: String) { socket.write(text) }
    func send(_ bytes: [UInt8]) { socket.write(bytes) }
    func ok(_ command: Command, _ text: String) { send("\(command.tag) OK \(text)\r\n") }
    /// What an interceptor's reply or BYE does to the command; `nil` when it goes on.
    private func answer(_ decision: FakeIMAPServer.Interception, tag: String) -> Incoming? {
        switch decision {
        case .reply(let reply):
            send(reply.replacingOccurrences(of: "{tag}", with: tag))
            return .handled
        case .bye(let text):
            send("* BYE \(text)\r\n")
            return .closed
        case .proceed, .delay:
            return nil
        }
    }

    func no(_ command: Command, _ text: String) { send("\(command.tag) NO \(text)\r\n") }

    /// Refuses (`NO [LIMIT]`, counted) a command that would touch more messages than the
    /// configured MESSAGELIMIT; true when refused.
    func refusedOverMessageLimit(_ command: Command, count: Int) -> Bool {
        guard let limit = configuration.messageLimit, count > limit else { return false }
        core.counters.withLock { $0.limitViolations.append("\(command.name): \(count) messages") }
        no(command, "[LIMIT] Too many messages in one command (at most \(limit))")
        return true
    }
    func bad(_ command: Command, _ text: String) { send("\(command.tag) BAD \(text)\r\n") }

    /// `* n EXISTS` when the selected mailbox grew since the client last heard.
    func announceNewMessages() {
        guard let selected, let count = try? model.withMailbox(selected, { $0.entries.count }) else { return }
        if count > knownExists { send("* \(count) EXISTS\r\n") }
        knownExists = count
    }

    var capabilityLine: String { "CAPABILITY " + configuration.capabilities.joined(separator: " ") }

    func hasCapability(_ name: String) -> Bool {
        configuration.capabilities.contains { $0.uppercased() == name.uppercased() }
    }

    // MARK: - Dispatch

    /// Handles one command; false when the connection is to close.
    func dispatch(_ command: Command) -> Bool {
        do {
            switch command.name {
            case "CAPABILITY":
                send("* \(capabilityLine)\r\n")
                ok(command, "Capability completed.")
            case "NOOP", "CHECK":
                announceNewMessages()
                ok(command, "\(command.name.capitalized) completed.")
            case "LOGOUT":
                send("* BYE Logging out\r\n")
                ok(command, "Logout completed.")
                return false
            case "ID":
                send("* ID (\"name\" \"FakeIMAP\" \"vendor\" \"MailFerry tests\")\r\n")
                ok(command, "ID completed.")
            case "STARTTLS":
                bad(command, "STARTTLS is not offered.")
            case "LOGIN", "AUTHENTICATE":
                return try authenticate(command)
            default:
                guard authenticated else {
                    bad(command, "Command available only in authenticated state: \(command.name)")
                    return true
                }
                try dispatchAuthenticated(command)
            }
        } catch let error as FakeIMAPSyntaxError {
            bad(command, "Invalid arguments: \(error.reason)")
        } catch {
            bad(command, "Error in IMAP command \(command.name): \(error)")
        }
        return true
    }

    private func dispatchAuthenticated(_ command: Command) throws {
        switch command.name {
        case "ENABLE": try enable(command)
        case "NAMESPACE":
            send("* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n")
            ok(command, "Namespace completed.")
        case "LIST": try list(command, subscribedOnly: false)
        case "LSUB": try list(command, subscribedOnly: true)
        case "STATUS": try status(command)
        case "SELECT", "EXAMINE": try select(command)
        case "CREATE": try create(command)
        case "SUBSCRIBE", "UNSUBSCRIBE": try subscribe(command)
        case "APPEND": try append(command)
        case "IDLE": idle(command)
        default:
            guard selected != nil else {
                let known: Set<String> = [
                    "FETCH", "UID FETCH", "SEARCH", "UID SEARCH", "STORE", "UID STORE", "EXPUNGE", "UID EXPUNGE", "CLOSE",
                    "UNSELECT", "COPY", "UID COPY", "MOVE", "UID MOVE",
                ]
                bad(command, known.contains(command.name) ? "No mailbox selected." : "Unknown command \(command.name)")
                return
            }
            try dispatchSelected(command)
        }
    }

    private func dispatchSelected(_ command: Command) throws {
        switch command.name {
        case "FETCH", "UID FETCH": try fetch(command, byUID: command.name.hasPrefix("UID"))
        case "SEARCH", "UID SEARCH": try search(command, byUID: command.name.hasPrefix("UID"))
        case "STORE", "UID STORE": try store(command, byUID: command.name.hasPrefix("UID"))
        case "EXPUNGE": try expunge(command, uids: nil)
        case "UID EXPUNGE":
            guard hasCapability("UIDPLUS") else { return bad(command, "Unknown command UID EXPUNGE") }
            let arguments = try command.arguments()
            guard arguments.count == 1, let text = arguments[0].text, let set = FakeSequenceSet(text) else {
                return bad(command, "Invalid UID set")
            }
            try expunge(command, uids: set)
        case "CLOSE":
            if !readOnly, let selected { _ = try? model.expunge(in: selected, uids: nil) }
            selected = nil
            ok(command, "Close completed.")
        case "UNSELECT":
            selected = nil
            ok(command, "Unselect completed.")
        case "COPY", "UID COPY": try copy(command, byUID: command.name.hasPrefix("UID"), move: false)
        case "MOVE", "UID MOVE":
            guard hasCapability("MOVE") else { return bad(command, "Unknown command \(command.name)") }
            try copy(command, byUID: command.name.hasPrefix("UID"), move: true)
        default:
            bad(command, "Unknown command \(command.name)")
        }
    }

    private func enable(_ command: Command) throws {
        let names = try command.arguments().compactMap(\.text)
        let enabled = names.filter { name in hasCapability(name) && ["UTF8=ACCEPT", "CONDSTORE", "QRESYNC"].contains(name.uppercased()) }
        send("* ENABLED" + enabled.map { " " + $0 }.joined() + "\r\n")
        ok(command, "Enabled.")
    }

    /// IDLE until the client's DONE (or the idle timeout).
    private func idle(_ command: Command) {
        send("+ idling\r\n")
        announceNewMessages()
        switch socket.readLine(limit: configuration.maximumLineLength) {
        case .line(let line) where String(decoding: line, as: UTF8.self).uppercased() == "DONE":
            ok(command, "Idle completed.")
        default:
            bad(command, "Expected DONE.")
        }
    }
}
