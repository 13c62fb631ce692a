import NIOCore
import Synchronization

/// Events on their way from the channel handler to the one task using the connection, with
/// back-pressure: past ``highWatermark`` bytes of message data the handler stops reading the
/// socket, and reading resumes once the consumer has drained the queue below ``lowWatermark``.
final class POP3EventQueue: Sendable {
    static let highWatermark = 512 << 10
    static let lowWatermark = 128 << 10

    private struct State {
        var events: [POP3Event] = []
        var head = 0
        var bufferedBytes = 0
        var failure: (any Error)?
        var waiter: Waiter?
        var paused = false
    }
    private let state = Mutex(State())

    /// The consumer waiting for the next event.
    private struct Waiter {
        let continuation: CheckedContinuation<(POP3Event, Bool), any Error>
        init(_ continuation: CheckedContinuation<(POP3Event, Bool), any Error>) { self.continuation = continuation }
    }
    /// Called (from the consumer's task) when reading may resume.
    private let resume: @Sendable () -> Void

    init(resume: @escaping @Sendable () -> Void) { self.resume = resume }

    /// Adds an event; returns `false` when the handler should stop reading for now.
    func push(_ event: POP3Event) -> Bool {
        let size = Self.cost(event)
        let (waiter, full): (Waiter?, Bool) = state.withLock { state in
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, false)
            }
            state.events.append(event)
            state.bufferedBytes += size
            let full = state.bufferedBytes >= Self.highWatermark
            if full { state.paused = true }
            return (nil, full)
        }
        waiter?.continuation.resume(returning: (event, false))
        return !full
    }

    /// Ends the queue with an error: the waiting and every later ``next()`` throw it (after the
    /// events already queued).
    func fail(_ error: any Error) {
        let waiter: Waiter? = state.withLock { state in
            if state.failure == nil { state.failure = error }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.continuation.resume(throwing: error)
    }

    /// The next event, waiting for it when none is queued. One consumer at a time.
    func next() async throws -> POP3Event {
        let taken: Result<(POP3Event, Bool), any Error>? = state.withLock { Self.take(&$0) }
        if let taken {
            let (event, resume) = try taken.get()
            if resume { self.resume() }
            return event
        }
        let (event, resume) = try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<(POP3Event, Bool), any Error>) in
            let taken: Result<(POP3Event, Bool), any Error>? = state.withLock { state in
                if let taken = Self.take(&state) { return taken }
                state.waiter = Waiter(continuation)
                return nil
            }
            if let taken { continuation.resume(with: taken) }
        }
        if resume { self.resume() }
        return event
    }

    /// Pops the first queued event (and whether reading should resume), or the failure once the
    /// queue is empty; `nil` when the caller must wait.
    private static func take(_ state: inout State) -> Result<(POP3Event, Bool), any Error>? {
        if state.head < state.events.count {
            let event = state.events[state.head]
            state.head += 1
            state.bufferedBytes -= cost(event)
            if state.head == state.events.count {
                state.events.removeAll(keepingCapacity: true)
                state.head = 0
            } else if state.head > 1024 {
                state.events.removeFirst(state.head)
                state.head = 0
            }
            let resume = state.paused && state.bufferedBytes <= lowWatermark
            if resume { state.paused = false }
            return .success((event, resume))
        }
        if let failure = state.failure { return .failure(failure) }
        return nil
    }

    private static func cost(_ event: POP3Event) -> Int {
        switch event {
        case .data(let buffer): return buffer.readableBytes
        case .line(let bytes): return bytes.count + 16
        default: return 16
        }
    }
}
