import MailCore

/// What copying (or planning) one folder produced, merged into the report afterwards.
struct FolderOutcome: Sendable {
    var report: CopyReport.FolderReport
    var failures: [CopyReport.Problem] = []
    var warnings: [CopyReport.Problem] = []
    var losses: [CopyReport.Loss] = []
    var notes: [String] = []
    var modified: [CopyReport.ModifiedMessage] = []
    var quarantined: [CopyReport.QuarantinedMessage] = []
    var stoppedBy: CopyReport.Problem?
    /// The stall watchdog left this folder's work behind (it may still touch the sink).
    var abandoned = false

    init(_ entry: CopyPlan.Entry) {
        report = CopyReport.FolderReport(
            source: entry.source.path.displayName, destination: entry.destination.displayName,
            sourceLocation: entry.source.location)
    }

    /// Files a folder- or store-level error: a store error stops the run. An error that is not
    /// a ``MailError`` (none should escape the stores) counts against the folder only.
    mutating func record(_ error: any Error, folder: FolderPath) {
        let mailError = (error as? MailError) ?? MailError(.internalError, scope: .folder, retry: .now, "\(error)")
        let problem = CopyReport.Problem(mailError, folder: folder)
        if mailError.scope == .store {
            stoppedBy = problem
        } else {
            failures.append(problem)
        }
        report.error = mailError.summary
    }
}
