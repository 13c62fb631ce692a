/// What a dry run reads from a job's checkpoint: enough to say what a real run would still copy,
/// without writing to the checkpoint or taking the job's lock (a real run may be going on).
public protocol CheckpointPreview: Sendable {
    /// The checkpoint's file, for the report.
    var location: String { get }
    /// A folder pair's state and counts; `nil` when the job never copied the pair.
    func overview(source: FolderPath, destination: FolderPath) async throws -> FolderOverview?
    /// The source keys the job recorded as copied (or as failed for good, which a run does not
    /// try again) for the pair.
    func settledKeys(source: FolderPath, destination: FolderPath) async throws -> Set<SourceKey>
}
