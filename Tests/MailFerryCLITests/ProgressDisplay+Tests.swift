import Engine
import Testing

@testable import MailFerryCLI

@Suite("Progress display")
struct ProgressDisplayTests {
    static func snapshot(done: Int, total: Int?, read: Int, of bytesTotal: Int?, elapsed: Double) -> ProgressSnapshot {
        ProgressSnapshot(
            folder: "Archive/2021", folderIndex: 1, folderCount: 14, messagesDone: done, messagesTotal: total,
            bytesRead: read, bytesTotal: bytesTotal, runMessages: done, runBytesStored: read, elapsed: elapsed)
    }

    @Test("shows folder, counts, bytes, rate and ETA")
    func fullLine() {
        let line = ProgressDisplay.line(Self.snapshot(done: 120, total: 800, read: 12_300_000, of: 98_000_000, elapsed: 2))
        #expect(line == "[2/14] Archive/2021  120/800 msgs  12.3 MB/98.0 MB  6.2 MB/s  ETA 0:14")
    }

    @Test("leaves out what it does not know")
    func partialLine() {
        #expect(ProgressDisplay.line(Self.snapshot(done: 5, total: nil, read: 4_000, of: nil, elapsed: 0.1)) == "[2/14] Archive/2021  5 msgs  4 KB")
        #expect(ProgressDisplay.formatDuration(3725) == "1:02:05")
        #expect(ProgressDisplay.formatDuration(59.4) == "0:59")
    }
}
