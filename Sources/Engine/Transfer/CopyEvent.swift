/// What a copy run tells its observer (the CLI's progress display) as it goes.
public enum CopyEvent: Sendable {
    case planned(CopyPlan)
    case folderStarted(index: Int, count: Int, source: String, destination: String)
    case progress(ProgressSnapshot)
    case folderFinished(CopyReport.FolderReport)
}

/// Counters for a progress display: this folder and the whole run.
public struct ProgressSnapshot: Sendable {
    public var folder: String
    public var folderIndex: Int
    public var folderCount: Int
    /// Messages stored (or failed) in this folder so far, and the total when known.
    public var messagesDone: Int
    public var messagesTotal: Int?
    /// Bytes of the source read in the whole run, and the total when known (for the ETA).
    public var bytesRead: Int
    public var bytesTotal: Int?
    /// Messages and bytes stored in the whole run.
    public var runMessages: Int
    public var runBytesStored: Int
    /// Seconds since the run started.
    public var elapsed: Double

    public init(
        folder: String, folderIndex: Int, folderCount: Int, messagesDone: Int, messagesTotal: Int?, bytesRead: Int,
        bytesTotal: Int?, runMessages: Int, runBytesStored: Int, elapsed: Double
    ) {
        self.folder = folder
        self.folderIndex = folderIndex
        self.folderCount = folderCount
        self.messagesDone = messagesDone
        self.messagesTotal = messagesTotal
        self.bytesRead = bytesRead
        self.bytesTotal = bytesTotal
        self.runMessages = runMessages
        self.runBytesStored = runBytesStored
        self.elapsed = elapsed
    }
}
