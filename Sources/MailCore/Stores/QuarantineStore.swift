/// Where messages the destination refused go, with the reason, so that nothing a run could not
/// store is lost silently: the engine hands each permanently refused message here (a local
/// Maildir, `--quarantine`) and lists it in the report.
public protocol QuarantineStore: Sendable {
    /// Where the quarantine is, for people and the report.
    var location: String { get }
    /// Keeps `envelope` (as the source gave it) with `reason`, filed under `folder` (the
    /// destination folder it was meant for); returns where it was put.
    func quarantine(_ envelope: MessageEnvelope, reason: String, folder: FolderPath) async throws -> String
}
