import Foundation
import IMAPCore
import MailCore
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One authenticated IMAP connection.
///
/// ``connect(_:group:)`` opens it: TCP (or TLS from the start), the greeting, STARTTLS when asked
/// (required, injection-safe, capabilities re-read afterwards), authentication, ID. Commands may be
/// pipelined: ``submit(_:)`` returns once the command is on the wire, and its result is awaited
/// separately. Command pieces never interleave; synchronizing literals wait for the server's `+`.
public final class IMAPConnection: Sendable {
    public let configuration: IMAPConfiguration
    let channel: any Channel
    let handler: NIOLoopBound<IMAPChannelHandler>
    private let writeLock = AsyncLock()

    private struct State {
        var capabilities = Capabilities()
        var tagCounter = 0
        var encoder = CommandEncoder()
        var enabled: Set<String> = []
        var alerts: [String] = []
        var compressed = false
        var closed = false
    }
    private let state = Mutex(State())

    /// What the server offers (read again after STARTTLS and after login).
    public var capabilities: Capabilities { state.withLock { $0.capabilities } }
    /// Extensions turned on with ENABLE.
    public var enabled: Set<String> { state.withLock { $0.enabled } }
    /// Whether mailbox names travel as UTF-8 (UTF8=ACCEPT enabled) rather than modified UTF-7.
    public var usesUTF8: Bool { enabled.contains("UTF8=ACCEPT") }
    /// `[ALERT]` texts the server sent, sanitised.
    public var alerts: [String] { state.withLock { $0.alerts } }

    private init(configuration: IMAPConfiguration, channel: any Channel, handler: NIOLoopBound<IMAPChannelHandler>) {
        self.configuration = configuration
        self.channel = channel
        self.handler = handler
    }

    // MARK: - Connecting

    /// Connects, secures and authenticates; throws ``IMAPError`` naming what failed.
    public static func connect(
        _ configuration: IMAPConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> IMAPConnection {
        let tls = configuration.security == .plaintext ? nil : try makeTLSContext(configuration)
        let eventLoop = group.next()
        let greeting = eventLoop.makePromise(of: UntaggedResponse.self)
        let handlerPromise = eventLoop.makePromise(of: NIOLoopBound<IMAPChannelHandler>.self)
        let sniName = Self.sniName(configuration.host)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.milliseconds(Int64(configuration.connectTimeout * 1000)))
            .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if configuration.security == .implicitTLS, let tls {
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: sniName))
                    }
                    // Neither a byte read nor a byte written for this long, while a command waits: the
                    // server has gone quiet. (A long upload writes, a long download reads.)
                    try pipeline.addHandler(
                        IdleStateHandler(allTimeout: .milliseconds(Int64(configuration.responseTimeout * 1000))))
                    let handler = IMAPChannelHandler(
                        limits: configuration.parserLimits, greeting: greeting,
                        responseTimeout: configuration.responseTimeout, progress: configuration.progress,
                        greetingLabel: configuration.security == .implicitTLS ? "the TLS handshake and greeting" : "the greeting",
                        trace: configuration.trace)
                    try pipeline.addHandler(handler)
                    handlerPromise.succeed(NIOLoopBound(handler, eventLoop: channel.eventLoop))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
        } catch {
            greeting.fail(error)
            handlerPromise.fail(error)
            throw IMAPError.connectionFailed(host: configuration.host, port: configuration.port, reason: "\(error)")
        }
        let handler = try await handlerPromise.futureResult.get()
        let connection = IMAPConnection(configuration: configuration, channel: channel, handler: handler)
        channel.eventLoop.execute {
            handler.value.unsolicited = { [weak connection] response in connection?.noteUnsolicited(response) }
        }
        do {
            try await connection.setUp(greeting: try await greeting.futureResult.get(), tls: tls)
        } catch {
            try? await channel.close()
            throw error
        }
        return connection
    }

    private static func makeTLSContext(_ configuration: IMAPConfiguration) throws -> NIOSSLContext {
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
            throw IMAPError.tlsFailed(reason: "cannot set up TLS (CA file \(configuration.caFile ?? "system")): \(error)")
        }
    }

    /// Host names go into SNI and are checked against the certificate; IP addresses are checked
    /// against the certificate's IP entries instead (SNI cannot carry them).
    private static func sniName(_ host: String) -> String? {
        var v4 = in_addr()
        var v6 = in6_addr()
        let isAddress = inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
        return isAddress ? nil : host
    }

    private func setUp(greeting: UntaggedResponse, tls: NIOSSLContext?) async throws {
        var preauthenticated = false
        switch greeting {
        case .bye(let text): throw IMAPError.refusedByServer(text: ServerText.sanitize(text.text))
        case .preauth(let text):
            if configuration.security == .startTLS { throw IMAPError.preauthWithoutTLS }
            preauthenticated = true
            takeCapabilities(from: text)
        case .condition(.ok, let text): takeCapabilities(from: text)
        default: throw IMAPError.protocolViolation("unexpected greeting")
        }
        var encrypted = configuration.security == .implicitTLS
        if configuration.security == .startTLS {
            if capabilities.names.isEmpty { try await refreshCapabilities() }
            if !capabilities.contains("STARTTLS") && configuration.allowPlaintextAuthentication {
                configuration.trace?("!: the server offers no STARTTLS; continuing in plaintext as explicitly allowed")
            } else {
            guard capabilities.contains("STARTTLS"), let tls else { throw IMAPError.startTLSUnavailable }
            let sniName = Self.sniName(configuration.host)
            _ = try await execute(.startTLS, switching: { context in
                // Same event-loop tick as the OK: no byte is read before TLS is in place.
                try context.pipeline.syncOperations.addHandler(
                    NIOSSLClientHandler(context: tls, serverHostname: sniName), position: .first)
            })
            state.withLock { $0.capabilities = Capabilities() }  // pre-TLS capabilities are not trusted
            try await refreshCapabilities()
            encrypted = true
            }
        }
        if !preauthenticated {
            // Gmail, Office 365 and others greet without [CAPABILITY]: ask, in every security mode.
            if capabilities.names.isEmpty { try await refreshCapabilities() }
            try await authenticate(encrypted: encrypted)
        }
        if capabilities.names.isEmpty || !capabilities.contains("IMAP4REV1") && !capabilities.contains("IMAP4REV2") {
            try await refreshCapabilities()
        }
        if capabilities.contains("ID") {
            _ = try? await execute(.id([("name", "MailFerry"), ("version", MailFerryVersion.current)]))
        }
        if configuration.compress && capabilities.contains("COMPRESS=DEFLATE") {
            _ = try await execute(.compressDeflate, switching: { context in
                // Same tick as the OK: the next byte either way is compressed.
                let handlers: [any ChannelHandler] = [try Deflate.Decompressor(), try Deflate.Compressor()]
                try context.pipeline.syncOperations.addHandlers(handlers, position: .before(context.handler))
            })
            state.withLock { $0.compressed = true }
        }
        updateEncoder()
    }

    /// Whether COMPRESS=DEFLATE is active.
    public var isCompressed: Bool { state.withLock { $0.compressed } }

    private func takeCapabilities(from text: ResponseText) {
        if case .capability(let names)? = text.code {
            state.withLock { $0.capabilities = Capabilities(names) }
        }
    }

    private func refreshCapabilities() async throws {
        let result = try await execute(.capability)
        if let names = Self.capabilityNames(in: result) { state.withLock { $0.capabilities = Capabilities(names) } }
        updateEncoder()
    }

    /// The capabilities a result announces: an untagged CAPABILITY, else the tagged `[CAPABILITY]` code.
    private static func capabilityNames(in result: CommandResult) -> [String]? {
        for case .capability(let names) in result.untagged.reversed() { return names }
        if case .capability(let names)? = result.tagged.text.code { return names }
        return nil
    }

    private func updateEncoder() {
        state.withLock { state in
            state.encoder.options = CommandEncoder.Options(
                literalPlus: state.capabilities.contains("LITERAL+"),
                literalMinus: state.capabilities.contains("LITERAL-"),
                utf8Accept: state.enabled.contains("UTF8=ACCEPT"))
        }
    }

    // MARK: - Authentication

    private func authenticate(encrypted: Bool) async throws {
        if !encrypted && !configuration.allowPlaintextAuthentication {
            throw IMAPError.authenticationFailed(
                text: "refusing to send credentials over an unencrypted connection (allow plaintext explicitly)")
        }
        let offered = capabilities.authMechanisms
        let result: CommandResult
        switch configuration.secret {
        case .password(let provider):
            var mechanism = configuration.mechanism
            if mechanism == .automatic {
                mechanism = try preferredMechanism(among: [.plain, .login], offered: offered)
                    ?? (offered.contains("PLAIN") ? .plain : .login)
            }
            let password = try await provider()
            switch mechanism {
            case .plain:
                guard offered.contains("PLAIN") else { throw IMAPError.noUsableMechanism(offered: offered) }
                result = try await saslExchange(
                    mechanism: "PLAIN", initial: SASL.plain(username: configuration.username, password: password))
            case .login:
                guard !capabilities.contains("LOGINDISABLED") else { throw IMAPError.noUsableMechanism(offered: offered) }
                result = try await executeAllowingFailure(.login(username: configuration.username, password: password))
            default:
                throw IMAPError.noUsableMechanism(offered: offered)
            }
        case .oauth2Token(let provider):
            var mechanism = configuration.mechanism
            if let preferred = try preferredMechanism(among: [.xoauth2, .oauthbearer], offered: offered), mechanism == .automatic {
                mechanism = preferred
            }
            let token = try await provider()
            if mechanism == .automatic {
                if offered.contains("XOAUTH2") {
                    mechanism = .xoauth2
                } else if offered.contains("OAUTHBEARER") {
                    mechanism = .oauthbearer
                } else {
                    throw IMAPError.noUsableMechanism(offered: offered)
                }
            }
            switch mechanism {
            case .xoauth2:
                result = try await saslExchange(
                    mechanism: "XOAUTH2", initial: SASL.xoauth2(username: configuration.username, token: token))
            case .oauthbearer:
                result = try await saslExchange(
                    mechanism: "OAUTHBEARER",
                    initial: SASL.oauthBearer(
                        username: configuration.username, token: token, host: configuration.host, port: configuration.port))
            default:
                throw IMAPError.noUsableMechanism(offered: offered)
            }
        }
        guard result.tagged.status == .ok else {
            throw IMAPError.authenticationFailed(text: ServerText.sanitize(result.tagged.text.text))
        }
        // Logging in changes what is offered: the result's list, else none (setUp asks again).
        state.withLock { $0.capabilities = Capabilities(Self.capabilityNames(in: result) ?? []) }
    }

    /// The first of the profile's mechanisms (``IMAPConfiguration/preferredMechanisms``) that is
    /// one of `suitable` (what the secret allows) and that the server offers; `nil` without a
    /// profile order or when the server offers none of them. Throws, before any secret is read,
    /// when the order names none of `suitable`: the provider would refuse this kind of secret.
    private func preferredMechanism(
        among suitable: [IMAPConfiguration.Mechanism], offered: [String]
    ) throws -> IMAPConfiguration.Mechanism? {
        guard configuration.mechanism == .automatic, !configuration.preferredMechanisms.isEmpty else { return nil }
        let wanted = configuration.preferredMechanisms.filter(suitable.contains)
        guard !wanted.isEmpty else {
            let names = configuration.preferredMechanisms.map { $0.rawValue.uppercased() }.joined(separator: ", ")
            let given = suitable.contains(.plain) ? "a password" : "an OAuth2 token"
            throw IMAPError.authenticationFailed(
                text: "the provider's profile says this server takes only \(names); \(given) would be refused, so it was not sent")
        }
        return wanted.first { mechanism in
            mechanism == .login ? !capabilities.contains("LOGINDISABLED") : offered.contains(mechanism.rawValue.uppercased())
        }
    }

    /// AUTHENTICATE with an initial response (inline with SASL-IR, else after the first `+`).
    /// A challenge after that is the server's error report: answered once with an empty line, as
    /// RFC 7628 asks; a second one is cancelled with `*`.
    private func saslExchange(mechanism: String, initial: [UInt8]) async throws -> CommandResult {
        let inline = capabilities.contains("SASL-IR")
        let promise = channel.eventLoop.makePromise(of: CommandResult.self)
        let sink = CollectingSink(kind: .capability, promise: promise)
        try await withWriteLock {
            let tag = nextTag()
            let encoded = try encode(tag: tag, .authenticate(mechanism: mechanism, initialResponse: inline ? initial : nil))
            configuration.trace?("C: \(encoded.traceDescription)")
            try await register(tag: tag, sink: sink)
            guard var challenge = try await registerContinuation(tag: tag) else { return }
            try await writeSegments(encoded, tag: tag)
            var steps = 0
            if !inline {
                guard (try? await challenge.get()) != nil, let next = try await registerContinuation(tag: tag) else { return }
                challenge = next
                try await writeRaw(Array(Base64.encode(initial).utf8) + [0x0d, 0x0a], trace: "C: <redacted>")
            }
            while (try? await challenge.get()) != nil {
                steps += 1
                guard let next = try await registerContinuation(tag: tag) else { break }
                challenge = next
                try await writeRaw(steps == 1 ? [0x0d, 0x0a] : [UInt8(ascii: "*"), 0x0d, 0x0a], trace: "C: (SASL step)")
                if steps > 2 { break }
            }
        }
        return try await promise.futureResult.get()
    }

    // MARK: - Commands

    /// Runs a command and returns its result; NO or BAD become ``IMAPError/commandFailed(command:status:text:)``.
    @discardableResult
    public func execute(_ command: Command) async throws -> CommandResult {
        try await execute(command, switching: nil)
    }

    /// Runs a command and returns its result whatever the status.
    public func executeAllowingFailure(_ command: Command) async throws -> CommandResult {
        try await submit(command).result()
    }

    private func execute(
        _ command: Command, switching: ((ChannelHandlerContext) throws -> Void)?
    ) async throws -> CommandResult {
        let result = try await submit(command, switching: switching).result()
        guard result.tagged.status == .ok else {
            throw IMAPError.commandFailed(
                command: Self.name(of: command), status: result.tagged.status,
                text: ResponseText(code: result.tagged.text.code, text: ServerText.sanitize(result.tagged.text.text)))
        }
        return result
    }

    /// A command on the wire whose result has not been awaited yet (pipelining).
    public struct Submitted: Sendable {
        public let tag: String
        let future: EventLoopFuture<CommandResult>

        public func result() async throws -> CommandResult { try await future.get() }
    }

    /// Sends `command` and returns as soon as it is written; await ``Submitted/result()`` later.
    public func submit(_ command: Command) async throws -> Submitted {
        try await submit(command, switching: nil)
    }

    private func submit(
        _ command: Command, switching: ((ChannelHandlerContext) throws -> Void)?
    ) async throws -> Submitted {
        let promise = channel.eventLoop.makePromise(of: CommandResult.self)
        var mailbox: [UInt8]?
        if case .status(let name, _) = command { mailbox = name.bytes }
        let sink = CollectingSink(kind: Self.kind(of: command), promise: promise, mailbox: mailbox)
        let tag = try await send(command, sink: sink, bodies: [], switching: switching)
        return Submitted(tag: tag, future: promise.futureResult)
    }

    // MARK: - FETCH streams

    /// A stream that pipelined ``fetch(_:items:into:)`` commands feed.
    public func makeFetchStream() -> FetchStream {
        let handler = self.handler
        let eventLoop = channel.eventLoop
        return FetchStream(resume: { eventLoop.execute { handler.value.resumeReading() } })
    }

    /// Sends `UID FETCH uids (items)`; its responses and its completion arrive on `stream`.
    @discardableResult
    public func fetch(_ uids: UIDSet, items: [String], changedSince: UInt64? = nil, into stream: FetchStream) async throws -> String {
        try await fetch(.uidFetch(uids, items: items, changedSince: changedSince), into: stream)
    }

    /// Sends `FETCH numbers (items)` by message number (a slice of a folder under MESSAGELIMIT);
    /// its responses and its completion arrive on `stream`.
    @discardableResult
    public func fetch(messageNumbers numbers: ClosedRange<UInt32>, items: [String], into stream: FetchStream) async throws -> String {
        try await fetch(.fetch(UIDSet(ranges: [numbers]), items: items), into: stream)
    }

    private func fetch(_ command: Command, into stream: FetchStream) async throws -> String {
        try await withWriteLock {
            let tag = nextTag()
            let encoded = try encode(tag: tag, command)
            configuration.trace?("C: \(encoded.traceDescription)")
            try await register(tag: tag, sink: FetchSink(stream: stream, tag: tag))
            try await writeSegments(encoded, tag: tag)
            return tag
        }
    }

    // MARK: - APPEND

    /// One message to upload.
    public struct AppendItem: Sendable {
        public var flags: [String]
        public var internalDate: Date?
        public var data: MessageData
        /// The size with CRLF line endings (what the literal announces).
        public var size: Int
        /// Whether the message holds NUL bytes (found in the same pass as `size`).
        public var containsNUL: Bool
        /// Send as `literal8` (BINARY, RFC 3516): set by the caller when the server offers it.
        public var binary = false

        public init(flags: [String], internalDate: Date?, data: MessageData) throws {
            self.flags = flags
            self.internalDate = internalDate
            self.data = data
            (size, containsNUL) = try data.wireSize()
        }
    }

    /// Sends one APPEND (a MULTIAPPEND when `items` has several messages) and returns once it is
    /// written. Bodies are sent with CRLF line endings, streamed in pieces.
    public func append(to mailbox: MailboxName, _ items: [AppendItem]) async throws -> Submitted {
        let promise = channel.eventLoop.makePromise(of: CommandResult.self)
        let sink = CollectingSink(kind: .generic, promise: promise)
        let messages = items.map {
            AppendMessage(flags: $0.flags, internalDate: $0.internalDate.map(MessageDate.formatIMAP), size: $0.size, binary: $0.binary)
        }
        let tag = try await send(.append(mailbox, messages: messages), sink: sink, bodies: items, switching: nil)
        return Submitted(tag: tag, future: promise.futureResult)
    }

    // MARK: - Closing

    /// Says LOGOUT and closes, within about 3 s even if the server never answers.
    public func logout() async {
        if isActive {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { _ = try? await self.executeAllowingFailure(.logout) }
                group.addTask { try? await Task.sleep(for: .seconds(3)) }
                await group.next()
                // Closing fails whatever LOGOUT still waits for (its result, the write lock's
                // holder), so that child ends too; the group waits for both.
                self.close()
                group.cancelAll()
            }
        }
        close()
    }

    /// Closes the connection now; ``isActive`` is `false` from this call on.
    public func close() {
        state.withLock { $0.closed = true }
        channel.close(promise: nil)
    }

    /// Whether the connection is still usable (open, and ``close()`` not called).
    public var isActive: Bool { !state.withLock { $0.closed } && channel.isActive }

    // MARK: - Sending

    private func send(
        _ command: Command, sink: any ResponseSink, bodies: [AppendItem],
        switching: ((ChannelHandlerContext) throws -> Void)?
    ) async throws -> String {
        try await withWriteLock {
            let tag = nextTag()
            let encoded = try encode(tag: tag, command)
            configuration.trace?("C: \(encoded.traceDescription)")
            // After STARTTLS's OK the server owes a TLS handshake: timed like a response line.
            var expecting: String?
            if case .startTLS = command { expecting = "the TLS handshake" }
            try await register(tag: tag, sink: sink, switching: switching, expecting: expecting)
            try await writeSegments(encoded, tag: tag, bodies: bodies)
            return tag
        }
    }

    private func withWriteLock<T>(_ body: () async throws -> T) async throws -> T {
        await writeLock.lock()
        do {
            let result = try await body()
            await writeLock.unlock()
            return result
        } catch {
            await writeLock.unlock()
            throw error
        }
    }

    private func nextTag() -> String {
        state.withLock { state in
            state.tagCounter += 1
            return "M\(state.tagCounter)"
        }
    }

    private func encode(tag: String, _ command: Command) throws -> EncodedCommand {
        do {
            return try state.withLock { try $0.encoder.encode(tag: tag, command) }
        } catch let error as CommandEncoder.EncodingError {
            throw IMAPError.encoding(error)
        }
    }

    private func register(
        tag: String, sink: any ResponseSink, switching: ((ChannelHandlerContext) throws -> Void)? = nil,
        expecting: String? = nil
    ) async throws {
        let handler = self.handler
        let box = UnsafeTransfer(sink)
        let switchBox = UnsafeTransfer(switching)
        try await channel.eventLoop.submit {
            handler.value.register(tag: tag, sink: box.value)
            if let action = switchBox.value { handler.value.switchPipeline(afterTag: tag, expecting: expecting, action: action) }
        }.get()
    }

    /// Waits for the next `+` of `tag`; `nil` when that command has already ended (none will come).
    private func registerContinuation(tag: String) async throws -> EventLoopFuture<String>? {
        let handler = self.handler
        let promise = channel.eventLoop.makePromise(of: String.self)
        let waiting = try await channel.eventLoop.submit { handler.value.awaitContinuation(tag: tag, promise: promise) }.get()
        return waiting ? promise.futureResult : nil
    }

    /// Writes a command's segments, waiting for `+` after synchronizing literal headers. Stops
    /// early (without error) when the server ends the command instead of asking for the literal.
    private func writeSegments(_ encoded: EncodedCommand, tag: String, bodies: [AppendItem] = []) async throws {
        for segment in encoded.segments {
            switch segment {
            case .bytes(let bytes, let awaitContinuation):
                if awaitContinuation {
                    // Ended already (a NO after the previous literal): nothing more may be written.
                    guard let continuation = try await registerContinuation(tag: tag) else { return }
                    try await flushToSocket(channel.allocator.buffer(bytes: bytes))
                    do {
                        _ = try await continuation.get()
                    } catch is IMAPChannelHandler.CommandEnded {
                        return
                    }
                } else {
                    channel.write(channel.allocator.buffer(bytes: bytes), promise: nil)
                }
            case .messageBody(let index, let size):
                try await writeBody(bodies[index], size: size)
            }
        }
        channel.flush()
    }

    /// Writes and flushes, waiting until the bytes reach the socket; a failure here means the
    /// connection is gone (a transient error: the caller may reconnect).
    private func flushToSocket(_ buffer: ByteBuffer) async throws {
        do {
            try await channel.writeAndFlush(buffer)
        } catch let error as IMAPError {
            throw error
        } catch {
            throw IMAPError.connectionClosed(reason: "writing failed: \(error)")
        }
    }

    private func writeRaw(_ bytes: [UInt8], trace: String) async throws {
        configuration.trace?(trace)
        try await flushToSocket(channel.allocator.buffer(bytes: bytes))
    }

    /// Streams a message with CRLF line endings, exactly `size` bytes, in 64 KiB pieces, waiting
    /// for each to reach the socket: a large message never sits in memory whole, and TLS never
    /// has more than a piece to encrypt at once.
    private func writeBody(_ item: AppendItem, size: Int) async throws {
        let pieceSize = 64 * 1024
        var converter = LineEndingConverter(to: .crlf)
        var output = channel.allocator.buffer(capacity: min(size, pieceSize))
        var written = 0
        let iterator = item.data.makeChunkIterator(chunkSize: pieceSize)
        do {
            while let chunk = try iterator.next() {
                var pieces: [ByteBuffer] = []
                chunk.withUnsafeBytes { raw in
                    converter.convert(raw) { piece in
                        output.writeBytes(piece)
                        if output.readableBytes >= pieceSize {
                            pieces.append(output)
                            output = channel.allocator.buffer(capacity: pieceSize)
                        }
                    }
                }
                for piece in pieces {
                    written += piece.readableBytes
                    try await flushToSocket(piece)
                    CopyActivity.current?.touch()  // a long upload is progress for the stall watchdog
                }
            }
        } catch let error as MailError {
            // A literal cannot be abandoned halfway: the connection is unusable now.
            close()
            throw IMAPError.messageUnreadable(reason: error.description)
        }
        converter.finish { output.writeBytes($0) }
        written += output.readableBytes
        guard written == size else {
            close()
            throw IMAPError.messageUnreadable(reason: "the message changed while it was sent (\(written) of \(size) bytes)")
        }
        try await flushToSocket(output)
    }

    // MARK: - Helpers

    private func noteUnsolicited(_ response: UntaggedResponse) {
        switch response {
        case .capability(let names): state.withLock { $0.capabilities = Capabilities(names) }
        case .enabled(let names): state.withLock { $0.enabled.formUnion(names.map { $0.uppercased() }) }
        case .condition(_, let text) where text.code == .alert:
            state.withLock { $0.alerts.append(ServerText.sanitize(text.text)) }
        default: break
        }
    }

    /// Records extensions the server confirmed with ENABLE; asks only for those not enabled yet.
    public func enable(_ extensions: [String]) async throws {
        let wanted = extensions.filter { !enabled.contains($0.uppercased()) }
        guard !wanted.isEmpty else { return }
        let result = try await execute(.enable(wanted))
        for response in result.untagged {
            if case .enabled(let names) = response {
                state.withLock { $0.enabled.formUnion(names.map { $0.uppercased() }) }
            }
        }
        updateEncoder()
    }

    static func kind(of command: Command) -> CommandKind {
        switch command {
        case .capability, .login, .authenticate, .startTLS: return .capability
        case .list: return .list
        case .lsub: return .lsub
        case .status: return .status
        case .select, .examine: return .select
        case .uidSearch: return .search
        case .namespace: return .namespace
        case .enable: return .enable
        case .id: return .id
        case .uidFetch, .uidStore, .fetch: return .fetch
        default: return .generic
        }
    }

    static func name(of command: Command) -> String {
        let text = String(describing: command)
        return String(text.prefix(while: { $0 != "(" })).uppercased()
    }
}

/// Moves a value that is only touched on the event loop across a `@Sendable` boundary.
struct UnsafeTransfer<Value>: @unchecked Sendable {
    // @unchecked: used only to hand event-loop-bound objects (sinks, pipeline actions) to a
    // closure that runs on that same event loop.
    let value: Value
    init(_ value: Value) { self.value = value }
}
