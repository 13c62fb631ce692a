/// The progress rules of one connection, as a state machine without I/O: the connection's
/// handler says what happened — bytes arrived, where its parser now is, reads paused or
/// resumed — with the time, and asks ``check(at:)`` on a timer whether the server broke a rule.
///
/// - A greeting, response line or TLS handshake must be complete ``ProgressLimits/responseDeadline``
///   seconds after it began (its first byte; the greeting: connecting; a handshake: the switch),
///   unless its bytes keep arriving at the minimum rate (a long SEARCH result on a slow link).
/// - Message data (a FETCH body literal, a POP3 message) must average
///   ``ProgressLimits/minimumRate`` bytes per second over each ``ProgressLimits/window``.
/// - While reads are paused (the consumer is behind, not the server), nothing is timed; the
///   clocks start again when reads resume.
///
/// A server that sends nothing at all is the idle timeout's business, not this one's.
public struct ProgressDeadline: Sendable {
    /// Which rule the server broke.
    public enum Expiry: Sendable, Equatable, CustomStringConvertible {
        /// `what` was not complete `seconds` after it began; `bytes` of it had arrived.
        case line(what: String, seconds: Double, bytes: Int)
        /// Only `bytes` of message data arrived in `seconds`, below `minimum` bytes per second.
        case rate(bytes: Int, seconds: Double, minimum: Int)

        public var description: String {
            switch self {
            case .line(let what, let seconds, let bytes):
                return "\(what) was not complete \(Int(seconds.rounded())) s after it began (\(bytes) byte(s) of it arrived; "
                    + "the response deadline)"
            case .rate(let bytes, let seconds, let minimum):
                let rate = seconds > 0 ? Int((Double(bytes) / seconds).rounded(.down)) : 0
                return "a message arrived at \(rate) bytes/s over \(Int(seconds.rounded())) s, below the minimum rate of "
                    + "\(minimum) bytes/s"
            }
        }
    }

    /// Where the connection's parser is once the bytes of one read were handled.
    public enum Position: Sendable, Equatable {
        /// Between responses (or between lines of a listing): nothing partial buffered.
        case boundary
        /// Inside a line (or a response with small inline literals).
        case line
        /// Inside message data: a FETCH body literal, a POP3 message.
        case bulk
    }

    public let limits: ProgressLimits
    private var lineStart: Double?
    private var lineBytes = 0
    private var lineLabel = Self.responseLine
    private var windowStart: Double?
    private var windowBytes = 0
    private var paused = false

    private static let responseLine = "a response line"

    public init(limits: ProgressLimits) { self.limits = limits }

    /// Whether reads are paused (nothing is timed).
    public var isPaused: Bool { paused }
    /// Whether a line deadline is running.
    public var isTimingLine: Bool { lineStart != nil }
    /// Whether a rate window is running.
    public var isTimingRate: Bool { windowStart != nil }

    /// Starts the line deadline now for something owed whole before any of it can arrive: the
    /// greeting (from connecting) or a TLS handshake (from the switch).
    public mutating func expect(_ what: String, at now: Double) {
        lineStart = now
        lineBytes = 0
        lineLabel = what
    }

    /// `bytes` arrived and were parsed; `completed` says whether anything (a response, a line,
    /// a piece of a message) came out of them, `position` where the parser now is.
    public mutating func received(_ bytes: Int, completed: Bool, position: Position, at now: Double) {
        switch position {
        case .boundary:
            lineStart = nil
            lineLabel = Self.responseLine
            windowStart = nil
        case .line:
            windowStart = nil
            if lineStart == nil || completed {
                // A new line began in this read (its exact first byte is not known: count none).
                lineStart = now
                lineBytes = completed ? 0 : bytes
                lineLabel = Self.responseLine
            } else {
                lineBytes += bytes
            }
        case .bulk:
            lineStart = nil
            lineLabel = Self.responseLine
            if windowStart == nil {
                windowStart = now
                windowBytes = 0
            } else {
                windowBytes += bytes
            }
        }
    }

    /// Reads were paused on purpose (back-pressure): the server is not to blame for the wait.
    public mutating func pause() { paused = true }

    /// Reads resumed: running clocks start again from `now`.
    public mutating func resume(at now: Double) {
        guard paused else { return }
        paused = false
        if lineStart != nil {
            lineStart = now
            lineBytes = 0
        }
        if windowStart != nil {
            windowStart = now
            windowBytes = 0
        }
    }

    /// The rule the server has broken by `now`, if any. A rate window that was met starts anew.
    public mutating func check(at now: Double) -> Expiry? {
        guard !paused else { return nil }
        if let start = lineStart, limits.responseDeadline > 0 {
            let elapsed = now - start
            let fastEnough = limits.minimumRate > 0 && Double(lineBytes) >= Double(limits.minimumRate) * elapsed
            if elapsed >= limits.responseDeadline && !fastEnough {
                return .line(what: lineLabel, seconds: elapsed, bytes: lineBytes)
            }
        }
        if let start = windowStart, limits.minimumRate > 0 {
            let elapsed = now - start
            if elapsed >= limits.window {
                if Double(windowBytes) < Double(limits.minimumRate) * elapsed {
                    return .rate(bytes: windowBytes, seconds: elapsed, minimum: limits.minimumRate)
                }
                windowStart = now
                windowBytes = 0
            }
        }
        return nil
    }
}
