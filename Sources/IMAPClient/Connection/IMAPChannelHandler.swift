import MailCore
import IMAPCore
import NetworkProgress
import NIOCore
import NIOSSL

/// The connection's protocol engine, on its event loop: decodes responses, routes them to the
/// commands waiting for them, answers continuation requests, pauses reading when a consumer
/// falls behind, and switches the pipeline (TLS, compression) at exactly the right byte.
final class IMAPChannelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Thrown into a continuation waiter when its command ended instead (NO/BAD before a literal).
    struct CommandEnded: Error {}

    private var parser: ResponseParser
    private var buffer = ByteBuffer()
    private var pending: [(tag: String, sink: any ResponseSink)] = []
    private var continuationWaiters: [(tag: String, promise: EventLoopPromise<String>)] = []
    private var switchAfter: (tag: String, expecting: String?, action: (ChannelHandlerContext) throws -> Void)?
    private var greeting: EventLoopPromise<UntaggedResponse>?
    private var failure: (any Error)?
    private var byeText: String?
    private var readPaused = false
    private var readPending = false
    private weak var storedContext: ChannelHandlerContext?
    private let trace: (@Sendable (String) -> Void)?
    private let responseTimeout: Double
    /// The progress deadline (a server that trickles its greeting, a response or a literal).
    private let progressLimits: ProgressLimits
    private var watch: ProgressWatch?
    private let greetingLabel: String
    /// Inside a FETCH body literal (message data, timed by the minimum rate).
    private var inBody = false
    /// Events parsed from the current read.
    private var eventsParsed = 0
    /// What the server owes once the current read is accounted for (a TLS handshake after a switch).
    private var expectAfterRead: String?
    /// Untagged responses no command claimed (unsolicited EXISTS, ALERTs, …).
    var unsolicited: ((UntaggedResponse) -> Void)?

    init(limits: ResponseParser.Limits, greeting: EventLoopPromise<UntaggedResponse>, responseTimeout: Double,
         progress: ProgressLimits = .standard, greetingLabel: String = "the greeting",
         trace: (@Sendable (String) -> Void)?) {
        self.parser = ResponseParser(limits: limits)
        self.greeting = greeting
        self.responseTimeout = responseTimeout
        self.progressLimits = progress
        self.greetingLabel = greetingLabel
        self.trace = trace
    }

    func handlerAdded(context: ChannelHandlerContext) {
        storedContext = context
        if context.channel.isActive { startWatch(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) { watch?.stop() }

    func channelActive(context: ChannelHandlerContext) {
        startWatch(context: context)
        context.fireChannelActive()
    }

    /// The greeting (after a TLS handshake, with implicit TLS) is owed from the moment the
    /// connection is up.
    private func startWatch(context: ChannelHandlerContext) {
        guard watch == nil, failure == nil else { return }
        let watch = ProgressWatch(limits: progressLimits) { [weak self] expiry in
            guard let self else { return }
            self.failAll(IMAPError.stalled(expiry.description), context: self.storedContext)
        }
        self.watch = watch
        if greeting != nil { watch.expect(greetingLabel) }
        watch.start(on: context.eventLoop)
    }

    // MARK: - Commands (called on the event loop)

    /// Registers a command before its bytes are written; fails at once on a dead connection.
    func register(tag: String, sink: any ResponseSink) {
        if let failure {
            sink.fail(failure)
            return
        }
        pending.append((tag, sink))
    }

    /// Waits for the next `+` for command `tag` (a synchronizing literal, an AUTHENTICATE step).
    /// Fails at once with ``CommandEnded`` (and returns `false`) when `tag` has already ended:
    /// no `+` would ever come.
    @discardableResult
    func awaitContinuation(tag: String, promise: EventLoopPromise<String>) -> Bool {
        if let failure {
            promise.fail(failure)
            return true
        }
        guard pending.contains(where: { $0.tag == tag }) else {
            promise.fail(CommandEnded())
            return false
        }
        continuationWaiters.append((tag, promise))
        return true
    }

    /// After the tagged OK of `tag`, run `action` before reading another byte (STARTTLS, COMPRESS).
    /// `expecting` names what the server owes right after the switch (a TLS handshake), timed by
    /// the response deadline.
    func switchPipeline(afterTag tag: String, expecting: String? = nil, action: @escaping (ChannelHandlerContext) throws -> Void) {
        switchAfter = (tag, expecting, action)
    }

    /// Resumes reading after a consumer caught up.
    func resumeReading() {
        guard readPaused else { return }
        readPaused = false
        watch?.resume()
        if readPending, let context = storedContext {
            readPending = false
            context.read()
        }
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        let count = incoming.readableBytes
        buffer.writeBuffer(&incoming)
        eventsParsed = 0
        process(context: context)
        let position: ProgressDeadline.Position =
            inBody ? .bulk : (buffer.readableBytes == 0 && parser.isAtResponseBoundary ? .boundary : .line)
        watch?.received(count, completed: eventsParsed > 0, position: position)
        if let expecting = expectAfterRead {
            expectAfterRead = nil
            watch?.expect(expecting)
        }
    }

    private func process(context: ChannelHandlerContext) {
        do {
            while failure == nil, let event = try parser.parse(&buffer) {
                eventsParsed += 1
                switch event {
                case .bodyBegin: inBody = true
                case .bodyEnd: inBody = false
                default: break
                }
                try handle(event, context: context)
            }
        } catch let error as IMAPParserError {
            failAll(IMAPError.parser(error), context: context)
        } catch {
            failAll(error, context: context)
        }
        if buffer.readerIndex > 64 * 1024 { buffer.discardReadBytes() }
    }

    private func handle(_ event: ResponseEvent, context: ChannelHandlerContext) throws {
        switch event {
        case .response(.tagged(let tagged)):
            trace?("S: \(tagged.tag) \(tagged.status.rawValue) \(ServerText.sanitize(tagged.text.text))")
            guard let index = pending.firstIndex(where: { $0.tag == tagged.tag }) else {
                throw IMAPError.protocolViolation("a response for unknown tag \(tagged.tag)")
            }
            let sink = pending.remove(at: index).sink
            for waiter in continuationWaiters where waiter.tag == tagged.tag { waiter.promise.fail(CommandEnded()) }
            continuationWaiters.removeAll { $0.tag == tagged.tag }
            if let (tag, expecting, action) = switchAfter, tag == tagged.tag {
                switchAfter = nil
                if tagged.status == .ok {
                    do {
                        // Nothing may follow the OK before the switch: such bytes could be injected plaintext.
                        guard buffer.readableBytes == 0, parser.isAtResponseBoundary else { throw IMAPError.bytesBeforeTLS }
                        parser = ResponseParser(limits: parser.limits)
                        try action(context)
                        expectAfterRead = expecting
                    } catch {
                        sink.fail(error)
                        throw error
                    }
                }
            }
            sink.complete(tagged)
        case .response(.continuation(let text)):
            trace?("S: + …")
            guard !continuationWaiters.isEmpty else {
                throw IMAPError.protocolViolation("a continuation request no command asked for")
            }
            continuationWaiters.removeFirst().promise.succeed(text)
        case .response(.untagged(let response)):
            if let greeting {
                self.greeting = nil
                trace?("S: * \(Self.summary(response))")
                greeting.succeed(response)
                return
            }
            if case .bye(let text) = response { byeText = ServerText.sanitize(text.text) }
            if let sink = pending.first(where: { $0.sink.accepts(response) })?.sink {
                if !sink.receive(.response(.untagged(response))) { pauseReading() }
            } else {
                trace?("S: * \(Self.summary(response))")
                unsolicited?(response)
            }
        case .bodyBegin, .bodyBytes, .bodyEnd:
            if let sink = pending.first(where: { $0.sink.acceptsBodies })?.sink {
                if !sink.receive(event) { pauseReading() }
            }
        }
    }

    /// Stops reading the socket until the consumer catches up; the server is not timed meanwhile.
    private func pauseReading() {
        readPaused = true
        watch?.pause()
    }

    private static func summary(_ response: UntaggedResponse) -> String {
        ServerText.sanitize(String(describing: response), maximumLength: 200)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .all {
            // Only a timeout while the server owes us something and we are not holding it back —
            // or while we hold reads back although a command that feeds no stream waits: its
            // answer is behind the held-back data, so the pause cannot end by itself (a consumer
            // waiting on a command instead of reading its stream). Ending it beats hanging.
            let blockedBehindPause = readPaused && pending.contains { !$0.sink.acceptsBodies }
            if (!pending.isEmpty || greeting != nil) && (!readPaused || blockedBehindPause) {
                let what = pending.first.map { "the response to \($0.tag)" } ?? "the greeting"
                failAll(IMAPError.timeout(seconds: responseTimeout, waitingFor: what), context: context)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(Self.classify(error), context: context)
    }

    /// A certificate or handshake problem is a TLS failure (retrying will not help); anything else
    /// that breaks the stream — a reset, an unclean TLS shutdown — is a closed connection.
    static func classify(_ error: any Error) -> any Error {
        if let error = error as? IMAPError { return error }
        if let error = error as? NIOSSLError {
            switch error {
            case .handshakeFailed, .unableToValidateCertificate, .noCertificateToValidate, .cannotMatchULabel,
                .failedToLoadCertificate:
                return IMAPError.tlsFailed(reason: String(describing: error))
            default:
                return IMAPError.connectionClosed(reason: "TLS stream ended (\(error))")
            }
        }
        if error is NIOSSLExtraError { return IMAPError.tlsFailed(reason: String(describing: error)) }
        return IMAPError.connectionClosed(reason: String(describing: error))
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(IMAPError.connectionClosed(reason: byeText.map { "the server said BYE: \($0)" } ?? "the network connection closed"), context: nil)
        context.fireChannelInactive()
    }

    private func failAll(_ error: any Error, context: ChannelHandlerContext?) {
        guard failure == nil else { return }
        failure = error
        watch?.stop()
        trace?("!: \(error)")
        greeting?.fail(error)
        greeting = nil
        let sinks = pending
        pending = []
        let waiters = continuationWaiters
        continuationWaiters = []
        for waiter in waiters { waiter.promise.fail(error) }
        for entry in sinks { entry.sink.fail(error) }
        context?.close(promise: nil)
    }

    // MARK: - Outbound

    func read(context: ChannelHandlerContext) {
        if readPaused {
            readPending = true
        } else {
            context.read()
        }
    }
}
