import Engine
import Foundation
import Synchronization

/// A one-line progress display on standard error, redrawn at most ten times a second:
/// `[2/14] Archive/2021  120/800 msgs  12.3 MB/98.0 MB  5.2 MB/s  ETA 0:07`.
/// Silent when standard error is not a terminal or with `--quiet`.
final class ProgressDisplay: Sendable {
    private struct State {
        var lastDraw = Date.distantPast
        var drawn = false
        var folderLine = ""
    }

    let enabled: Bool
    private let state = Mutex(State())

    init(enabled: Bool) { self.enabled = enabled }

    func handle(_ event: CopyEvent) {
        guard enabled else { return }
        switch event {
        case .folderStarted(let index, let count, let source, _):
            draw("[\(index + 1)/\(count)] \(source)", force: true)
        case .progress(let snapshot):
            draw(Self.line(snapshot), force: false)
        case .planned, .folderFinished:
            break
        }
    }

    func finish() {
        guard enabled else { return }
        let wasDrawn = state.withLock { state -> Bool in
            defer { state.drawn = false }
            return state.drawn
        }
        if wasDrawn { Terminal.standardErrorRaw("\r\u{1B}[K") }
    }

    /// Prints a line that must not be lost under the progress line (a pause, fewer connections).
    func notice(_ text: String) {
        let wasDrawn = state.withLock { state -> Bool in
            defer { state.drawn = false }
            return state.drawn
        }
        Terminal.standardErrorRaw((wasDrawn ? "\r\u{1B}[K" : "") + "mailferry: \(text)\n")
    }

    private func draw(_ line: String, force: Bool) {
        let now = Date()
        let shouldDraw = state.withLock { state -> Bool in
            guard force || now.timeIntervalSince(state.lastDraw) >= 0.1 else { return false }
            state.lastDraw = now
            state.drawn = true
            return true
        }
        if shouldDraw { Terminal.standardErrorRaw("\r\u{1B}[K" + line) }
    }

    static func line(_ s: ProgressSnapshot) -> String {
        var parts = ["[\(s.folderIndex + 1)/\(s.folderCount)] \(s.folder)"]
        parts.append(s.messagesTotal.map { "\(s.messagesDone)/\($0) msgs" } ?? "\(s.messagesDone) msgs")
        let read = CopyReport.formatBytes(s.bytesRead)
        parts.append(s.bytesTotal.map { "\(read)/\(CopyReport.formatBytes($0))" } ?? read)
        if s.elapsed > 0.2 {
            let rate = Double(s.bytesRead) / s.elapsed
            parts.append("\(CopyReport.formatBytes(Int(rate)))/s")
            if let total = s.bytesTotal, rate > 0 {
                let remaining = max(0, Double(total - s.bytesRead) / rate)
                parts.append("ETA \(formatDuration(remaining))")
            }
        }
        return parts.joined(separator: "  ")
    }

    static func formatDuration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        let (h, m, s) = (total / 3600, total % 3600 / 60, total % 60)
        let mm = m < 10 && h > 0 ? "0\(m)" : "\(m)"
        let ss = s < 10 ? "0\(s)" : "\(s)"
        return h > 0 ? "\(h):\(mm):\(ss)" : "\(mm):\(ss)"
    }
}

extension Terminal {
    static func standardErrorRaw(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}
