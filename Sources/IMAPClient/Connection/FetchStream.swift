import IMAPCore
import NIOCore

/// What a ``FetchStream`` delivers: response events of its FETCH commands, in order, and the
/// end of each command.
public enum FetchStreamElement: Sendable {
    case event(ResponseEvent)
    case completed(tag: String, response: TaggedResponse)
}

/// Back-pressure from the consumer to the connection: when the stream's buffer drains, reading
/// resumes on the event loop.
struct FetchStreamDelegate: NIOAsyncSequenceProducerDelegate {
    let resume: @Sendable () -> Void
    func produceMore() { resume() }
    func didTerminate() { resume() }
}

typealias FetchSequence = NIOThrowingAsyncSequenceProducer<
    FetchStreamElement, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, FetchStreamDelegate
>

/// The responses of one or more pipelined UID FETCH commands on one connection, as an
/// `AsyncSequence` with back-pressure: when the consumer falls behind, the connection stops
/// reading from the socket, so bodies wait in the kernel rather than in memory.
public final class FetchStream: Sendable {
    let source: FetchSequence.Source
    let sequence: FetchSequence

    init(resume: @escaping @Sendable () -> Void) {
        let made = FetchSequence.makeSequence(
            elementType: FetchStreamElement.self, failureType: (any Error).self,
            backPressureStrategy: .init(lowWatermark: 2, highWatermark: 6), finishOnDeinit: true,
            delegate: FetchStreamDelegate(resume: resume))
        source = made.source
        sequence = made.sequence
    }

    /// The elements; iterate from one task.
    public var events: some AsyncSequence<FetchStreamElement, any Error> { sequence }

    /// Ends the stream (no more commands will feed it).
    public func finish() { source.finish() }
}

/// Routes one FETCH command's responses into a ``FetchStream``.
final class FetchSink: ResponseSink {
    let stream: FetchStream
    let tag: String

    init(stream: FetchStream, tag: String) {
        self.stream = stream
        self.tag = tag
    }

    func accepts(_ response: UntaggedResponse) -> Bool {
        if case .fetch = response { return true }
        return false
    }

    var acceptsBodies: Bool { true }

    /// Pauses reading only on `.stopProducing`: `.dropped` (the consumer is gone) must not
    /// stall the connection, whose other commands still need their responses.
    func receive(_ event: ResponseEvent) -> Bool {
        stream.source.yield(.event(event)) != .stopProducing
    }

    func complete(_ response: TaggedResponse) {
        _ = stream.source.yield(.completed(tag: tag, response: response))
    }

    func fail(_ error: any Error) { stream.source.finish(error) }
}
