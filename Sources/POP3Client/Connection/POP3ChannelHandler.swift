import MailCore
import NetworkProgress
import NIOCore
import NIOSSL

/// The connection's protocol engine, on its event loop: tells the parser what each command's
/// response looks like, hands events to the consumer's queue, stops reading the socket while the
/// consumer is behind, and adds TLS after STLS's `+OK` at exactly the right byte.
final class POP3ChannelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var parser: POP3ResponseParser
    private var buffer = ByteBuffer()
    private let queue: POP3EventQueue
    private var switchAfterStatus: ((ChannelHandlerContext) throws -> Void)?
    /// The progress deadline (a server that trickles its greeting, a line or a message).
    private let progressLimits: ProgressLimits
    private var watch: ProgressWatch?
    private let greetingLabel: String
    private var eventsParsed = 0
    /// Whether a TLS handshake is owed once the current read is accounted for (after STLS's +OK).
    private var handshakeAfterRead = false
    private var failure: (any Error)?
    private var readPaused = false
    private var readPending = false
    private weak var storedContext: ChannelHandlerContext?
    private let trace: (@Sendable (String) -> Void)?
    private let responseTimeout: Double
    private var dataBytes = 0

    init(
        limits: POP3ResponseParser.Limits, queue: POP3EventQueue, responseTimeout: Double, progress: ProgressLimits = .standard,
        greetingLabel: String = "the greeting", trace: (@Sendable (String) -> Void)?
    ) {
        var parser = POP3ResponseParser(limits: limits)
        parser.expect(.singleLine)  // the greeting
        self.parser = parser
        self.queue = queue
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

    /// The greeting (after a TLS handshake, with implicit TLS) is owed once the connection is up.
    private func startWatch(context: ChannelHandlerContext) {
        guard watch == nil, failure == nil else { return }
        let watch = ProgressWatch(limits: progressLimits) { [weak self] expiry in
            guard let self else { return }
            self.fail(POP3Error.stalled(expiry.description), context: self.storedContext)
        }
        self.watch = watch
        watch.expect(greetingLabel)
        watch.start(on: context.eventLoop)
    }

    // MARK: - Commands (on the event loop)

    /// Sends a command whose response has `shape`; `switching` runs right after its `+OK` (STLS).
    func send(_ bytes: [UInt8], shape: POP3ResponseShape, switching: ((ChannelHandlerContext) throws -> Void)? = nil) {
        guard failure == nil, let context = storedContext else { return }
        parser.expect(shape)
        if let switching { switchAfterStatus = switching }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
    }

    /// Resumes reading after the consumer caught up.
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
        // Message data leaves as slices of this buffer: take a fresh read as it is rather than
        // copying it into a buffer that queued slices may still share (copy-on-write would keep
        // every old storage alive until its slices are consumed).
        let count = incoming.readableBytes
        if buffer.readableBytes == 0 {
            buffer = incoming
        } else {
            buffer.writeBuffer(&incoming)
        }
        eventsParsed = 0
        do {
            while failure == nil, let event = try parser.parse(&buffer) {
                eventsParsed += 1
                try handle(event, context: context)
            }
        } catch let error as POP3ParserError {
            fail(POP3Error.parser(error), context: context)
        } catch {
            fail(error, context: context)
        }
        let position: ProgressDeadline.Position =
            parser.isInMessage ? .bulk : (buffer.readableBytes == 0 && !parser.hasPartialLine ? .boundary : .line)
        watch?.received(count, completed: eventsParsed > 0, position: position)
        if handshakeAfterRead {
            handshakeAfterRead = false
            watch?.expect("the TLS handshake")
        }
        if buffer.readableBytes == 0 {
            buffer = ByteBuffer()
        } else if buffer.readerIndex > 64 * 1024 {
            buffer = ByteBuffer(bytes: buffer.readableBytesView)  // a partial line: keep only it
        }
    }

    private func handle(_ event: POP3Event, context: ChannelHandlerContext) throws {
        switch event {
        case .status(let status):
            trace?("S: \(status.isOK ? "+OK" : "-ERR")\(status.code.map { " [\($0)]" } ?? "") \(ServerText.sanitize(status.text))")
            if let action = switchAfterStatus {
                switchAfterStatus = nil
                if status.isOK {
                    // Nothing may follow the +OK before the handshake: it could be injected plaintext.
                    guard buffer.readableBytes == 0, parser.isAtResponseBoundary else { throw POP3Error.bytesBeforeTLS }
                    parser = POP3ResponseParser(limits: parser.limits)
                    try action(context)
                    handshakeAfterRead = true
                }
            }
        case .continuation: trace?("S: + …")
        case .line(let bytes): trace?("S: \(ServerText.sanitize(String(decoding: bytes, as: UTF8.self), maximumLength: 200))")
        case .data(let piece):
            dataBytes += piece.readableBytes
            // Queue a copy: a slice would keep the whole receive buffer (TLS's, reused and
            // reallocated as it refills) alive until the consumer gets to it.
            var copy = context.channel.allocator.buffer(capacity: piece.readableBytes)
            copy.writeImmutableBuffer(piece)
            if !queue.push(.data(copy)) { pauseReading() }
            return
        case .end:
            trace?(dataBytes > 0 ? "S: {\(dataBytes) bytes} ." : "S: .")
            dataBytes = 0
        }
        if !queue.push(event) { pauseReading() }
    }

    /// Stops reading the socket until the consumer catches up; the server is not timed meanwhile.
    private func pauseReading() {
        readPaused = true
        watch?.pause()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .all {
            // Only while the server owes a response and we are not holding it back.
            if (parser.outstanding > 0 || !parser.isAtResponseBoundary) && !readPaused {
                fail(POP3Error.timeout(seconds: responseTimeout), context: context)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(Self.classify(error), context: context)
    }

    /// A certificate or handshake problem is a TLS failure; anything else that breaks the
    /// stream is a closed connection.
    static func classify(_ error: any Error) -> any Error {
        if let error = error as? POP3Error { return error }
        if let error = error as? NIOSSLError {
            switch error {
            case .handshakeFailed, .unableToValidateCertificate, .noCertificateToValidate, .cannotMatchULabel,
                .failedToLoadCertificate:
                return POP3Error.tlsFailed(reason: String(describing: error))
            default:
                return POP3Error.connectionClosed(reason: "TLS stream ended (\(error))")
            }
        }
        if error is NIOSSLExtraError { return POP3Error.tlsFailed(reason: String(describing: error)) }
        return POP3Error.connectionClosed(reason: String(describing: error))
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(POP3Error.connectionClosed(reason: "the network connection closed"), context: nil)
        context.fireChannelInactive()
    }

    private func fail(_ error: any Error, context: ChannelHandlerContext?) {
        guard failure == nil else { return }
        failure = error
        watch?.stop()
        trace?("!: \(error)")
        queue.fail(error)
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
