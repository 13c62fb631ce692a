import MailCore

/// A selected source folder that a run does not copy, and why.
///
/// The planner is the one place that decides it (``CopyPlanner/skip``: a provider profile's
/// folders whose messages are in other folders too); the report lists every such folder, in text
/// and JSON, and a report with one is `partial` (exit 1), dry runs and `verify` included. A folder
/// the user left out with `--exclude` (or did not ask for with `--folder`) was never selected and
/// is not listed. Folders that fail while being copied (a name the destination refuses or cannot
/// spell on disk) are folder failures, reported as such.
public struct SkippedFolder: Sendable, Codable, Hashable {
    /// The source folder, `/` between levels.
    public var folder: String
    public var reason: String

    public init(folder: String, reason: String) {
        self.folder = folder
        self.reason = reason
    }
}

/// Folders a run leaves out on purpose, with the reason its report gives.
public struct FolderSkipRule: Sendable {
    public var pattern: FolderPattern
    public var reason: String

    public init(_ pattern: FolderPattern, reason: String) {
        self.pattern = pattern
        self.reason = reason
    }
}
