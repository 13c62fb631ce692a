import Foundation
import MailCore
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One authenticated POP3 session.
///
/// ``connect(_:group:)`` opens it: TCP (or TLS from the start), the greeting, CAPA, STLS when
/// asked (required, injection-safe, CAPA read again afterwards), authentication. Afterwards one
/// task at a time sends commands and reads their events in order; with PIPELINING several
/// commands may be sent before their responses are read.
public final class POP3Connection: Sendable {
    public let configuration: POP3Configuration
    let channel: any Channel
    let handler: NIOLoopBound<POP3ChannelHandler>
    let queue: POP3EventQueue

    private struct State {
        var capabilities: [String: [String]] = [:]
        var greeting = POP3Status(isOK: true, text: "")
        var quit = false
    }
    private let state = Mutex(State())

    /// CAPA's answer: upper-cased capability names, each with its arguments (`SASL PLAIN LOGIN`).
    public var capabilities: [String: [String]] { state.withLock { $0.capabilities } }
    /// Whether several commands may be in flight (RFC 2449 PIPELINING).
    public var supportsPipelining: Bool { capabilities["PIPELINING"] != nil }
    /// Commands the reader may keep in flight: the configured depth with PIPELINING, else 1.
    public var pipelineDepth: Int { supportsPipelining ? max(1, configuration.pipelineDepth) : 1 }

    private init(configuration: POP3Configuration, channel: any Channel, handler: NIOLoopBound<POP3ChannelHandler>, queue: POP3EventQueue) {
        self.configuration = configuration
        self.channel = channel
        self.handler = handler
        self.queue = queue
    }

    // MARK: - Connecting

    /// Connects, secures and authenticates; throws ``POP3Error`` naming what failed.
    public static func connect(
        _ configuration: POP3Configuration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> POP3Connection {
        let tls = try makeTLSContext(configuration)
        let eventLoop = group.next()
        let handlerPromise = eventLoop.makePromise(of: NIOLoopBound<POP3ChannelHandler>.self)
        let sniName = Self.sniName(configuration.host)
        let resumeBox = ResumeBox()
        let queue = POP3EventQueue(resume: { resumeBox.resume() })
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.milliseconds(Int64(configuration.connectTimeout * 1000)))
            .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if configuration.security == .implicitTLS {
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: sniName))
                    }
                    try pipeline.addHandler(
                        IdleStateHandler(allTimeout: .milliseconds(Int64(configuration.responseTimeout * 1000))))
                    let handler = POP3ChannelHandler(
                        limits: configuration.parserLimits, queue: queue, responseTimeout: configuration.responseTimeout,
                        progress: configuration.progress,
                        greetingLabel: configuration.security == .implicitTLS ? "the TLS handshake and greeting" : "the greeting",
                        trace: configuration.trace)
                    try pipeline.addHandler(handler)
                    let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
                    resumeBox.set { channel.eventLoop.execute { bound.value.resumeReading() } }
                    handlerPromise.succeed(bound)
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
        } catch {
            handlerPromise.fail(error)
            throw POP3Error.connectionFailed(host: configuration.host, port: configuration.port, reason: Self.reason(error))
        }
        let handler = try await handlerPromise.futureResult.get()
        let connection = POP3Connection(configuration: configuration, channel: channel, handler: handler, queue: queue)
        do {
            try await connection.setUp(tls: tls)
        } catch {
            try? await channel.close()
            throw error
        }
        return connection
    }

    /// A connection failure in words (NIO's are long-winded).
    private static func reason(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError, let first = error.connectionErrors.first {
            return "\(first.error)"
        }
        return "\(error)"
    }

    private static func makeTLSContext(_ configuration: POP3Configuration) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if configuration.insecureSkipVerification {
            tls.certificateVerification = .none
        } else {
            tls.certificateVerification = .fullVerification
            if let caFile = configuration.caFile { tls.trustRoots = .file(caFile) }
        }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw POP3Error.tlsFailed(reason: "cannot set up TLS (CA file \(configuration.caFile ?? "system")): \(error)")
        }
    }

    /// Host names go into SNI; IP addresses are checked against the certificate's IP entries.
    private static func sniName(_ host: String) -> String? {
        var v4 = in_addr()
        var v6 = in6_addr()
        let isAddress = inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
        return isAddress ? nil : host
    }

    private func setUp(tls: NIOSSLContext) async throws {
        let greeting = try await readStatus()
        guard greeting.isOK else { throw POP3Error.refusedByServer(text: ServerText.sanitize(greeting.text)) }
        state.withLock { $0.greeting = greeting }
        try await readCapabilities()
        var encrypted = configuration.security == .implicitTLS
        if configuration.security == .startTLS {
            if capabilities["STLS"] == nil {
                guard configuration.allowPlaintext else { throw POP3Error.stlsUnavailable }
                configuration.trace?("!: the server offers no STLS; continuing in plaintext as explicitly allowed")
            } else {
                let sniName = Self.sniName(configuration.host)
                try await send(.stls) { context in
                    // Same event-loop tick as the +OK: no byte is read before TLS is in place.
                    try context.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: tls, serverHostname: sniName), position: .first)
                }
                try await expectOK(.stls)
                state.withLock { $0.capabilities = [:] }  // pre-TLS capabilities are not trusted
                try await readCapabilities()
                encrypted = true
            }
        }
        try await authenticate(encrypted: encrypted)
        // Some servers list more (PIPELINING, UIDL) once logged in; one that offered PIPELINING
        // before is not asked again (a round trip saved on slow links).
        if capabilities["PIPELINING"] == nil { try await readCapabilities() }
    }

    private func readCapabilities() async throws {
        guard let lines = try await listing(.capa) else { return }  // -ERR: a server without CAPA
        var capabilities: [String: [String]] = [:]
        for line in lines {
            let words = String(decoding: line, as: UTF8.self).split(separator: " ").map(String.init)
            guard let name = words.first else { continue }
            capabilities[name.uppercased()] = Array(words.dropFirst())
        }
        state.withLock { $0.capabilities = capabilities }
    }

    // MARK: - Authentication

    private func authenticate(encrypted: Bool) async throws {
        let mechanism = try chooseMechanism()
        configuration.trace?("!: logging in with \(mechanism.rawValue)")
        let user = configuration.username
        switch (mechanism, configuration.secret) {
        case (.user, .password(let secret)):
            try await send(.user(user))
            let status = try await readStatus()
            guard status.isOK else { throw Self.authenticationError(status) }
            try await send(.pass(try await secret()))
            try await expectAuthenticated()
        case (.apop, .password(let secret)):
            guard let timestamp = Self.apopTimestamp(state.withLock { $0.greeting.text }) else {
                throw POP3Error.noUsableMechanism("APOP was asked for, but the server's greeting has no APOP timestamp")
            }
            let digest = MD5.hex(Array((timestamp + (try await secret())).utf8))
            try await send(.apop(user: user, digest: digest))
            try await expectAuthenticated()
        case (.plain, .password(let secret)):
            try await sasl("PLAIN", response: Self.plain(user: user, password: try await secret()))
        case (.login, .password(let secret)):
            try await send(.auth(mechanism: "LOGIN", initialResponse: nil))
            var answers = [Data(user.utf8).base64EncodedString(), Data(try await secret().utf8).base64EncodedString()]
            while true {
                switch try await nextEvent() {
                case .continuation:
                    try await send(.authResponse(answers.isEmpty ? "*" : answers.removeFirst()))
                case .status(let status):
                    guard status.isOK else { throw Self.authenticationError(status) }
                    return
                default: throw POP3Error.protocolViolation("unexpected data during AUTH LOGIN")
                }
            }
        case (.xoauth2, .oauth2Token(let token)):
            try await sasl("XOAUTH2", response: Array("user=\(user)\u{1}auth=Bearer \(try await token())\u{1}\u{1}".utf8))
        case (.oauthbearer, .oauth2Token(let token)):
            let escaped = user.replacingOccurrences(of: "=", with: "=3D").replacingOccurrences(of: ",", with: "=2C")
            let response = "n,a=\(escaped),\u{1}host=\(configuration.host)\u{1}port=\(configuration.port)\u{1}auth=Bearer \(try await token())\u{1}\u{1}"
            try await sasl("OAUTHBEARER", response: Array(response.utf8))
        default:
            throw POP3Error.noUsableMechanism("\(mechanism.rawValue) does not go with the kind of secret given (password or OAuth2 token)")
        }
    }

    /// The mechanism to use: the configured one, or the best both sides offer.
    private func chooseMechanism() throws -> POP3Configuration.Mechanism {
        let capabilities = self.capabilities
        let sasl = Set((capabilities["SASL"] ?? []).map { $0.uppercased() })
        if configuration.mechanism != .automatic {
            if configuration.mechanism == .apop && !configuration.allowAPOP {
                throw POP3Error.noUsableMechanism("APOP relies on MD5; allow it explicitly")
            }
            return configuration.mechanism
        }
        if let preferred = try preferredMechanism(sasl: sasl, capabilities: capabilities) { return preferred }
        switch configuration.secret {
        case .oauth2Token:
            if sasl.contains("XOAUTH2") { return .xoauth2 }
            if sasl.contains("OAUTHBEARER") { return .oauthbearer }
            throw POP3Error.noUsableMechanism("the server offers neither XOAUTH2 nor OAUTHBEARER for a token")
        case .password:
            if configuration.allowAPOP, Self.apopTimestamp(state.withLock { $0.greeting.text }) != nil { return .apop }
            if sasl.contains("PLAIN") { return .plain }
            if capabilities["USER"] != nil || capabilities.isEmpty { return .user }
            if sasl.contains("LOGIN") { return .login }
            return .user
        }
    }

    /// The first of the profile's mechanisms (``POP3Configuration/preferredMechanisms``) that
    /// suits the secret and that the server offers; `nil` without an order, or when the server
    /// offers none of them. Throws when the order has no mechanism for this kind of secret.
    private func preferredMechanism(sasl: Set<String>, capabilities: [String: [String]]) throws -> POP3Configuration.Mechanism? {
        guard !configuration.preferredMechanisms.isEmpty else { return nil }
        let suitable: [POP3Configuration.Mechanism]
        switch configuration.secret {
        case .oauth2Token: suitable = [.xoauth2, .oauthbearer]
        case .password: suitable = [.plain, .login, .user, .apop]
        }
        let wanted = configuration.preferredMechanisms.filter(suitable.contains)
        guard !wanted.isEmpty else {
            let names = configuration.preferredMechanisms.map { $0.rawValue.uppercased() }.joined(separator: ", ")
            let given = suitable.contains(.plain) ? "a password" : "an OAuth2 token"
            throw POP3Error.noUsableMechanism(
                "the provider's profile says this server takes only \(names); \(given) would be refused, so it was not sent")
        }
        return wanted.first { mechanism in
            switch mechanism {
            case .user: return capabilities["USER"] != nil || capabilities.isEmpty
            case .apop: return configuration.allowAPOP && Self.apopTimestamp(state.withLock { $0.greeting.text }) != nil
            case .automatic: return false
            default: return sasl.contains(mechanism.rawValue.uppercased())
            }
        }
    }

    /// AUTH with one response: inline when the line stays within 255 octets, else after `+`.
    private func sasl(_ mechanism: String, response: [UInt8]) async throws {
        let encoded = response.isEmpty ? "=" : Data(response).base64EncodedString()
        let inline = "AUTH \(mechanism) \(encoded)\r\n".utf8.count <= POP3Command.maximumLength
        try await send(.auth(mechanism: mechanism, initialResponse: inline ? encoded : nil))
        var answered = inline
        while true {
            switch try await nextEvent() {
            case .continuation:
                // The first `+` asks for the response; a later one carries an error (XOAUTH2): answer empty.
                try await send(.authResponse(answered ? "" : encoded))
                answered = true
            case .status(let status):
                guard status.isOK else { throw Self.authenticationError(status) }
                return
            default: throw POP3Error.protocolViolation("unexpected data during AUTH \(mechanism)")
            }
        }
    }

    private func expectAuthenticated() async throws {
        let status = try await readStatus()
        guard status.isOK else { throw Self.authenticationError(status) }
    }

    private static func authenticationError(_ status: POP3Status) -> POP3Error {
        .authenticationFailed(text: ServerText.sanitize(status.text), temporary: status.isTemporary)
    }

    static func plain(user: String, password: String) -> [UInt8] {
        [0] + Array(user.utf8) + [0] + Array(password.utf8)
    }

    /// The `<…@…>` timestamp of an APOP-capable greeting (RFC 1939 §7).
    static func apopTimestamp(_ greeting: String) -> String? {
        guard let open = greeting.firstIndex(of: "<"), let close = greeting[open...].firstIndex(of: ">") else { return nil }
        let stamp = String(greeting[open...close])
        guard stamp.contains("@"), stamp.unicodeScalars.allSatisfy({ (0x21...0x7e).contains($0.value) }) else { return nil }
        return stamp
    }

    // MARK: - Commands

    /// Sends a command (it is on its way when this returns). With PIPELINING, several may be
    /// sent before their responses are read; responses come back in order.
    public func send(_ command: POP3Command, switching: (@Sendable (ChannelHandlerContext) throws -> Void)? = nil) async throws {
        let bytes: [UInt8]
        do {
            bytes = try command.encoded()
        } catch {
            throw POP3Error.encoding(error)
        }
        configuration.trace?("C: \(command.traceText)")
        let handler = self.handler
        let shape = command.shape
        try await channel.eventLoop.submit {
            handler.value.send(bytes, shape: shape, switching: switching)
        }.get()
    }

    /// The next event of the responses in order.
    public func nextEvent() async throws -> POP3Event {
        do {
            return try await queue.next()
        } catch let error as POP3Error {
            throw error
        } catch {
            throw POP3ChannelHandler.classify(error)
        }
    }

    /// The next event, which must be a status line.
    public func readStatus() async throws -> POP3Status {
        switch try await nextEvent() {
        case .status(let status): return status
        default: throw POP3Error.protocolViolation("response data where a status line was due")
        }
    }

    /// Sends a single-line command and requires `+OK`.
    @discardableResult
    public func execute(_ command: POP3Command) async throws -> POP3Status {
        try await send(command)
        return try await expectOK(command)
    }

    @discardableResult
    private func expectOK(_ command: POP3Command) async throws -> POP3Status {
        let status = try await readStatus()
        guard status.isOK else {
            throw POP3Error.commandFailed(command: command.traceText, status: Self.sanitized(status))
        }
        return status
    }

    /// A listing command's lines, or `nil` when the server answered `-ERR` (no CAPA, no UIDL).
    public func listing(_ command: POP3Command) async throws -> [[UInt8]]? {
        try await send(command)
        return try await readListing()
    }

    /// The status and lines of a listing already sent; `nil` on `-ERR`.
    public func readListing() async throws -> [[UInt8]]? {
        guard try await readStatus().isOK else { return nil }
        var lines: [[UInt8]] = []
        while true {
            switch try await nextEvent() {
            case .line(let line): lines.append(line)
            case .end: return lines
            default: throw POP3Error.protocolViolation("a status line inside a listing")
            }
        }
    }

    /// After a `+OK` to RETR or TOP: hands each piece of the message to `body` until its end.
    public func readMessage(_ body: (ByteBuffer) throws -> Void) async throws {
        while true {
            switch try await nextEvent() {
            case .data(let piece): try body(piece)
            case .end: return
            default: throw POP3Error.protocolViolation("a status line inside a message")
            }
        }
    }

    /// QUIT: the server applies DELE marks only when it answers `+OK` (RFC 1939 UPDATE state).
    public func quit() async throws {
        state.withLock { $0.quit = true }
        defer { close() }
        try await execute(.quit)
    }

    /// Sends QUIT and closes without waiting for the answer: for a session that marked nothing
    /// for deletion, where the answer changes nothing (a round trip saved on slow links).
    public func leave() async {
        try? await send(.quit)
        close()
    }

    /// Closes without QUIT: the server forgets every DELE of this session.
    public func close() {
        channel.close(promise: nil)
    }

    private static func sanitized(_ status: POP3Status) -> POP3Status {
        var status = status
        status.text = ServerText.sanitize(status.text)
        return status
    }
}

/// Lets the event queue wake the handler, which exists only after the channel initializer ran.
private final class ResumeBox: Sendable {
    private let action = Mutex<(@Sendable () -> Void)?>(nil)
    func set(_ action: @escaping @Sendable () -> Void) { self.action.withLock { $0 = action } }
    func resume() { action.withLock { $0 }?() }
}
