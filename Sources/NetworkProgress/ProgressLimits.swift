/// How slowly a server may send what it owes before MailFerry gives up on the connection.
///
/// An idle timeout alone cannot catch a server that trickles: one byte every few seconds keeps a
/// connection "active" forever. These limits bound the time a greeting or response line may
/// take and the rate at which a message (a FETCH literal, a POP3 RETR) must arrive.
public struct ProgressLimits: Sendable, Hashable {
    /// Seconds a greeting, a response line or a TLS handshake may take once it began (the
    /// greeting: from connecting), unless it keeps arriving at ``minimumRate``. 0 turns it off.
    public var responseDeadline: Double
    /// Bytes per second a message must average over each ``window``; 0 turns the rule off.
    public var minimumRate: Int
    /// The window (seconds) over which ``minimumRate`` is averaged.
    public var window: Double

    /// Defaults that fire within two minutes: a line within 60 s, a message at 1 KiB/s or more
    /// averaged over 60 s.
    public static let standard = ProgressLimits(responseDeadline: 60, minimumRate: 1024, window: 60)
    /// No progress deadline (only the idle timeout).
    public static let off = ProgressLimits(responseDeadline: 0, minimumRate: 0, window: 60)

    public init(responseDeadline: Double, minimumRate: Int, window: Double) {
        self.responseDeadline = max(0, responseDeadline)
        self.minimumRate = max(0, minimumRate)
        self.window = max(0.001, window)
    }

    /// Whether any rule is on.
    public var isActive: Bool { responseDeadline > 0 || minimumRate > 0 }
}
