import Foundation
import Synchronization

/// Progress counters shared by the folders being copied at the same time.
final class RunProgress: Sendable {
    private struct State {
        var bytesReadByFolder: [Int: Int] = [:]
        var messages = 0
        var bytesStored = 0
        /// Folders whose reader said how many bytes it will go through: that replaces the listing's size.
        var expectedByFolder: [Int: Int] = [:]
    }

    let started: Date
    /// Bytes of each folder as listed, or `nil` when some folder's size is unknown.
    private let listedBytes: [Int]?
    private let state = Mutex(State())

    init(started: Date, folderBytes: [Int?]) {
        self.started = started
        self.listedBytes = folderBytes.allSatisfy { $0 != nil } ? folderBytes.map { min($0 ?? 0, 1 << 40) } : nil
    }

    /// A folder's reader knows how many bytes it will read (less than the folder, on a rerun).
    func expect(folderIndex: Int, bytes: Int) {
        state.withLock { $0.expectedByFolder[folderIndex] = min(bytes, 1 << 40) }
    }

    private func total(_ state: State) -> Int? {
        guard let listedBytes else { return nil }
        var total = 0
        for (index, bytes) in listedBytes.enumerated() { total &+= state.expectedByFolder[index] ?? bytes }
        return total
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
                bytesTotal: total(state), runMessages: state.messages, runBytesStored: state.bytesStored,
                elapsed: Date().timeIntervalSince(started))
        }
    }

    /// A folder is done: count all of its bytes as read (its size estimate may differ).
    func finish(folderIndex: Int) {
        state.withLock { state in
            if let bytes = state.expectedByFolder[folderIndex] ?? listedBytes?[folderIndex] {
                state.bytesReadByFolder[folderIndex] = bytes
            }
        }
    }
}
