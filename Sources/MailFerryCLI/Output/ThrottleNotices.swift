import Synchronization

/// What the stores said about pacing (a server's back-off, fewer connections, a used-up daily
/// budget): printed as it happens, unless `--quiet`, and kept for the report's notes.
final class ThrottleNotices: Sendable {
    private let display: ProgressDisplay
    private let quiet: Bool
    private let kept = Mutex<[String]>([])

    init(display: ProgressDisplay, quiet: Bool) {
        self.display = display
        self.quiet = quiet
    }

    func add(_ text: String) {
        kept.withLock { $0.append(text) }
        if !quiet { display.notice(text) }
    }

    /// Everything said, in order.
    var all: [String] { kept.withLock { $0 } }
}
