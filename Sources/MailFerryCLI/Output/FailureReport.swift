import Engine
import Foundation
import MailCore

/// The report of a command that ended before it could run: a store or the checkpoint could not
/// be opened. With `--json` it is printed, and `--report FILE` is rewritten with it, so a cron
/// job never reads the previous run's success after a run that did nothing. Its outcome is
/// `failed`, and `stoppedBy` holds the error.
struct FailureReport: Sendable {
    var source: String
    var destination: String
    var dryRun = false
    var json: Bool
    var file: String?
    /// `verify` writes a ``VerifyReport``; the others a ``CopyReport``.
    var verify = false

    /// Prints (with `--json`) and writes (with `--report`) the report for `error`; a text run
    /// prints nothing more, the error is already on standard error.
    func emit(_ error: MailError, context: String? = nil) {
        guard json || file != nil else { return }
        let text: String
        do {
            text = try verify ? verifyReport(error, context: context).json() : copyReport(error, context: context).json()
        } catch {
            return
        }
        if json { print(text) }
        if let file {
            do {
                try Data((text + "\n").utf8).write(to: URL(fileURLWithPath: file))
            } catch {
                Terminal.standardError("mailferry: cannot write the report to \(file): \(error.localizedDescription)")
            }
        }
    }

    func copyReport(_ error: MailError, context: String?) -> CopyReport {
        var report = CopyReport(
            version: MailFerryVersion.current, source: source, destination: destination, dryRun: dryRun, startedAt: Date())
        var problem = CopyReport.Problem(error)
        if let context { problem.reason = "\(context): \(problem.reason)" }
        report.stoppedBy = problem
        report.outcome = .failed
        return report
    }

    func verifyReport(_ error: MailError, context: String?) -> VerifyReport {
        var report = VerifyReport(source: source, destination: destination, exact: false)
        report.stoppedBy = context.map { "\($0): \(error.description)" } ?? error.description
        return report
    }
}
