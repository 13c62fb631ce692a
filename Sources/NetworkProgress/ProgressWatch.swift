import NIOCore

/// Runs a ``ProgressDeadline`` on a channel's event loop: checks it on a timer and reports the
/// first broken rule once. IMAP and POP3 channel handlers own one each and feed it what they
/// parse; it is confined to the event loop like the handler itself.
public final class ProgressWatch {
    public private(set) var deadline: ProgressDeadline
    private let expired: (ProgressDeadline.Expiry) -> Void
    private var task: RepeatedTask?
    private var stopped = false

    /// `expired` runs on the event loop, at most once.
    public init(limits: ProgressLimits, expired: @escaping (ProgressDeadline.Expiry) -> Void) {
        deadline = ProgressDeadline(limits: limits)
        self.expired = expired
    }

    /// The monotonic clock the deadline runs on, in seconds.
    public static var now: Double { Double(NIODeadline.now().uptimeNanoseconds) / 1_000_000_000 }

    /// Starts checking (a few times per second, finer for short test deadlines).
    public func start(on eventLoop: any EventLoop) {
        guard task == nil, !stopped, deadline.limits.isActive else { return }
        let shortest = [deadline.limits.responseDeadline, deadline.limits.window].filter { $0 > 0 }.min() ?? 1
        let tick = TimeAmount.milliseconds(Int64(max(20, min(500, shortest * 1000 / 8))))
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        task = eventLoop.scheduleRepeatedTask(initialDelay: tick, delay: tick) { _ in bound.value.tick() }
    }

    /// Stops checking for good (the connection is closing).
    public func stop() {
        stopped = true
        task?.cancel()
        task = nil
    }

    public func expect(_ what: String) { deadline.expect(what, at: Self.now) }

    public func received(_ bytes: Int, completed: Bool, position: ProgressDeadline.Position) {
        deadline.received(bytes, completed: completed, position: position, at: Self.now)
    }

    public func pause() { deadline.pause() }

    public func resume() { deadline.resume(at: Self.now) }

    private func tick() {
        guard !stopped, let expiry = deadline.check(at: Self.now) else { return }
        stop()
        expired(expiry)
    }
}
