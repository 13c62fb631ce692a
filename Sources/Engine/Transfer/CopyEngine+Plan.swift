import Foundation
import MailCore

extension CopyEngine {
    /// A dry run's answer for one folder: what a real run with the same options would copy.
    ///
    /// With the job's checkpoint (``CopyOptions/preview``, read-only), a folder the real run
    /// would find unchanged is up to date, and messages earlier runs copied (or failed for good)
    /// are left out; with a message filter, messages it refuses are counted as filtered. Only
    /// then is the folder read (message by message); without either, the source's status is the
    /// plan, as it costs no read. (With `--retry-failed` the plan still leaves out messages
    /// that failed for good; the real run tries them again.)
    func planFolder(_ entry: CopyPlan.Entry, destination: FolderInfo?) async -> FolderOutcome {
        var outcome = FolderOutcome(entry)
        do {
            var settled: Set<SourceKey> = []
            if let preview = options.preview,
                let overview = try await preview.overview(source: entry.source.path, destination: entry.destination)
            {
                if FolderResume.isUnchanged(overview, source: entry.source, destination: destination, options: options.resume) {
                    outcome.report.upToDate = true
                    outcome.report.skipped = overview.done
                    outcome.report.plannedMessages = 0
                    outcome.report.plannedBytes = 0
                    return outcome
                }
                // Keys of a replaced source folder (another UIDVALIDITY) mean nothing any more.
                if overview.state.sourceValidity == nil || overview.state.sourceValidity == entry.source.validity {
                    settled = try await preview.settledKeys(source: entry.source.path, destination: entry.destination)
                }
            }
            let filter = options.filter.flatMap { $0.isActive ? $0 : nil }
            if settled.isEmpty && filter == nil {
                let status = try await source.status(of: entry.source)
                outcome.report.plannedMessages = status.messages
                outcome.report.plannedBytes = status.bytes
                if status.unreadable > 0 { outcome.report.error = "\(status.unreadable) message(s) unreadable" }
                return outcome
            }
            try await countPlanned(entry, settled: settled, filter: filter, outcome: &outcome)
        } catch {
            outcome.record(error, folder: entry.source.path)
        }
        return outcome
    }

    /// Reads the folder and counts what a run would copy: not settled, admitted by the filter.
    private func countPlanned(
        _ entry: CopyPlan.Entry, settled: Set<SourceKey>, filter: MessageFilter?, outcome: inout FolderOutcome
    ) async throws {
        let selection = MessageSelection(skipping: settled, hint: filter?.hint)
        var messages = 0
        var bytes = 0
        var unreadable = 0
        for try await item in try await source.messages(in: entry.source, selection: selection) {
            switch item {
            case .message(let envelope):
                // A source may yield messages outside the selection (mbox offsets).
                if settled.contains(envelope.key) {
                    outcome.report.skipped += 1
                } else if let filter, !filter.admits(envelope) {
                    outcome.report.filtered += 1
                } else {
                    messages += 1
                    bytes += envelope.data.count
                }
            case .failure: unreadable += 1
            case .warning: break
            }
        }
        outcome.report.skipped = max(outcome.report.skipped, settled.count)
        outcome.report.plannedMessages = messages
        outcome.report.plannedBytes = bytes
        if unreadable > 0 { outcome.report.error = "\(unreadable) message(s) unreadable" }
    }
}
