import Synchronization

/// A queue between one producer task and one consumer task that holds at most `budget` bytes:
/// `send` waits while the queue is over budget, so a fast source cannot run ahead of a slow sink
/// (back-pressure). One element is always admitted when the queue is empty, however large.
final class BoundedChannel<Element: Sendable>: Sendable {
    private struct State {
        var buffer: [(element: Element?, cost: Int)] = []  // consumed slots are nil, so they free their memory
        var head = 0
        var bytes = 0
        var finished = false
        var cancelled = false
        var failure: (any Error)?
        var waitingConsumer: CheckedContinuation<Void, Never>?
        var waitingProducer: CheckedContinuation<Void, Never>?

        var isEmpty: Bool { head == buffer.count }
    }

    let budget: Int
    private let state = Mutex(State())

    init(budget: Int) { self.budget = budget }

    /// Queues `element`; returns `false` when the consumer has gone away.
    func send(_ element: Element, cost: Int) async -> Bool {
        while true {
            let admitted: Bool? = state.withLock { state in
                if state.cancelled { return false }
                if state.isEmpty || state.bytes + cost <= budget {
                    state.buffer.append((element, cost))
                    state.bytes += cost
                    let consumer = state.waitingConsumer
                    state.waitingConsumer = nil
                    consumer?.resume()
                    return true
                }
                return nil
            }
            if let admitted { return admitted }
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.cancelled || state.isEmpty || state.bytes + cost <= budget { return true }
                    state.waitingProducer = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// No more elements; `error` is rethrown to the consumer after the queued elements.
    func finish(throwing error: (any Error)? = nil) {
        let consumer = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.finished = true
            state.failure = error
            defer { state.waitingConsumer = nil }
            return state.waitingConsumer
        }
        consumer?.resume()
    }

    /// The consumer stops; a waiting producer is released and further sends return `false`.
    func cancel() {
        let producer = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.cancelled = true
            defer { state.waitingProducer = nil }
            return state.waitingProducer
        }
        producer?.resume()
    }

    /// Waits for at least one element, then takes as many as are queued, up to `maximumCount`
    /// elements and `maximumCost` bytes. `nil` when finished and drained.
    func receiveBatch(maximumCount: Int, maximumCost: Int) async throws -> [Element]? {
        while true {
            let result: Result<[Element]?, any Error>? = state.withLock { state in
                if !state.isEmpty {
                    var batch: [Element] = []
                    var cost = 0
                    while !state.isEmpty && batch.count < maximumCount
                        && (batch.isEmpty || cost + state.buffer[state.head].cost <= maximumCost)
                    {
                        let item = state.buffer[state.head]
                        state.buffer[state.head].element = nil
                        batch.append(item.element!)
                        cost += item.cost
                        state.head += 1
                    }
                    state.bytes -= cost
                    if state.head == state.buffer.count {
                        state.buffer.removeAll(keepingCapacity: true)
                        state.head = 0
                    } else if state.head > 1024 && state.head * 2 > state.buffer.count {
                        state.buffer.removeFirst(state.head)
                        state.head = 0
                    }
                    let producer = state.waitingProducer
                    state.waitingProducer = nil
                    producer?.resume()
                    return .success(batch)
                }
                if state.finished {
                    if let failure = state.failure {
                        state.failure = nil
                        return .failure(failure)
                    }
                    return .success(nil)
                }
                return nil
            }
            if let result { return try result.get() }
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if !state.isEmpty || state.finished { return true }
                    state.waitingConsumer = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }
}
