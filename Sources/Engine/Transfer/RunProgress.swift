import Foundation
import Synchronization

/// Progress counters shared by the folders being copied at the same time.
final class RunProgress: Sendable {
    private struct State {
        var bytesReadByFolder: [Int: Int] = [:]
        var messages = 0
        var bytesStored = 0
    }

    let started: Date
    let bytesTotal: Int?
    private let state = Mutex(State())

    init(started: Date, bytesTotal: Int?) {
        self.started = started
        self.bytesTotal = bytesTotal
    }

    /// Records progress in folder `index` and returns the snapshot to show.
    func update(
        folderIndex: Int, folderCount: Int, folder: String, messagesDone: Int, messagesTotal: Int?, bytesRead: Int,
        storedMessages: Int, storedBytes: Int
    ) -> ProgressSnapshot {
        state.withLock { state in
            state.bytesReadByFolder[folderIndex] = bytesRead
            state.messages += storedMessages
            state.bytesStored += storedBytes
            return ProgressSnapshot(
                folder: folder, folderIndex: folderIndex, folderCount: folderCount, messagesDone: messagesDone,
                messagesTotal: messagesTotal, bytesRead: state.bytesReadByFolder.values.reduce(0, +),
                bytesTotal: bytesTotal, runMessages: state.messages, runBytesStored: state.bytesStored,
                elapsed: Date().timeIntervalSince(started))
        }
    }

    /// A folder is done: count all of its bytes as read (its size estimate may differ).
    func finish(folderIndex: Int, bytes: Int?) {
        guard let bytes else { return }
        state.withLock { $0.bytesReadByFolder[folderIndex] = bytes }
    }
}
