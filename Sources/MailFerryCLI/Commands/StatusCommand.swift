import ArgumentParser
import Checkpoints
import Engine
import Foundation
import MailCore
import Stores

/// `mailferry status`: what a job's checkpoint says — per folder done, failed and remaining, the
/// last runs, and every failed message with its reason.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a copy job's progress and failures from its checkpoint.",
        discussion: """
            Name the job by the SOURCE and DEST of its copy command (with the same --to-folder), \
            by its job id (or a prefix of it), or by --checkpoint PATH. Without any, lists every \
            job in $XDG_STATE_HOME/mailferry/jobs.

            Examples:
              mailferry status
              mailferry status imaps://me@old.example.com imaps://me@new.example.com
              mailferry status 3fa2c1d9
              mailferry status --checkpoint ~/migration.sqlite --json
            """
    )

    @Argument(help: "SOURCE and DEST of the copy, or a job id.")
    var job: [String] = []

    @Option(help: ArgumentHelp("The checkpoint database to read.", valueName: "path"))
    var checkpoint: String?

    @Option(help: "The --to-folder the copy used (part of the job's identity).")
    var toFolder: String?

    @ArgumentParser.Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        if job.count > 2 { throw ValidationError("give SOURCE and DEST, or one job id") }
        if checkpoint != nil && !job.isEmpty { throw ValidationError("give either a job or --checkpoint, not both") }
    }

    func run() async throws {
        let path: String
        if let checkpoint {
            path = StoreEndpoint.expandTilde(checkpoint)
        } else if job.count == 2 {
            let source = try EndpointOpener.parse(job[0])
            let destination = try EndpointOpener.parse(job[1])
            let target = toFolder.flatMap { FolderPath(parsing: $0, delimiter: "/") } ?? destination.folder
            path = CheckpointLocation.defaultPath(
                for: CheckpointOptionGroup.identity(source: source, destination: destination, toFolder: target))
        } else if job.count == 1 {
            let matches = CheckpointLocation.existingJobs().filter {
                (($0 as NSString).lastPathComponent).hasPrefix(job[0])
            }
            guard matches.count == 1 else {
                Terminal.standardError(
                    "mailferry: \(matches.isEmpty ? "no job" : "\(matches.count) jobs") in \(CheckpointLocation.jobsDirectory()) match \"\(job[0])\"")
                throw ExitStatus.usage.exitCode
            }
            path = matches[0]
        } else {
            try listJobs()
            return
        }
        let summary: CheckpointSummary
        do {
            summary = try CheckpointSummary.read(path: path)
        } catch let error as MailError {
            Terminal.standardError("mailferry: \(error.description)")
            throw ExitStatus.checkpointRefused.exitCode
        }
        if json {
            print(try ReportFormat.json(summary))
        } else {
            print(Self.text(summary))
        }
    }

    private func listJobs() throws {
        var summaries: [CheckpointSummary] = []
        var problems: [String] = []
        for path in CheckpointLocation.existingJobs() {
            do {
                summaries.append(try CheckpointSummary.read(path: path, runLimit: 1))
            } catch {
                problems.append("\(path): \(error)")
            }
        }
        if json {
            print(try ReportFormat.json(summaries))
            return
        }
        if summaries.isEmpty && problems.isEmpty {
            print("No jobs in \(CheckpointLocation.jobsDirectory()).")
        }
        for summary in summaries {
            let done = summary.folders.reduce(0) { $0 + $1.done }
            let failed = summary.folders.reduce(0) { $0 + $1.failed }
            let last = summary.runs.first.map { "last run \(ReportFormat.date($0.started)), \($0.outcome ?? "interrupted")" } ?? "never run"
            print("\(summary.jobID)  \(summary.source) → \(summary.destination)")
            print("                  \(done) copied, \(failed) failed; \(last)")
        }
        for problem in problems { Terminal.standardError("mailferry: \(problem)") }
    }

    static func text(_ summary: CheckpointSummary) -> String {
        var lines = ["Job \(summary.jobID): \(summary.source) → \(summary.destination)", "Checkpoint: \(summary.path)"]
        if let run = summary.runs.first {
            var line = "Last run: \(ReportFormat.date(run.started))"
            if let finished = run.finished {
                line += ", \(run.outcome ?? "finished") after \(String(format: "%.1f", finished.timeIntervalSince(run.started))) s"
                line += " (\(run.copied ?? 0) copied, \(run.failed ?? 0) failed, \(run.skipped ?? 0) copied before)"
            } else {
                line += ", did not finish (killed or still running)"
            }
            if let stopped = run.stoppedBy { line += "; stopped by: \(stopped)" }
            lines.append(line)
        } else {
            lines.append("No run yet.")
        }
        let width = max(6, summary.folders.map(\.source.count).max() ?? 6)
        lines.append("Folders:")
        for folder in summary.folders {
            var line = "  \(folder.source.padding(toLength: width, withPad: " ", startingAt: 0))  → \(folder.destination)"
            line += "  \(folder.done) done, \(folder.failed) failed"
            if let remaining = folder.remaining { line += ", \(remaining) remaining" }
            if folder.inFlight > 0 { line += ", \(folder.inFlight) in flight (resolved on the next run)" }
            lines.append(line)
        }
        if !summary.failures.isEmpty {
            lines.append("Failed messages (\(summary.failures.count)):")
            for failure in summary.failures.prefix(500) {
                var line = "  \(failure.folder): message \(failure.key)"
                if let messageID = failure.messageID { line += " \(messageID)" }
                line += ": \(failure.reason)"
                if failure.retry == "never" { line += " [permanent; --retry-failed tries again]" } else { line += " [retried on the next run]" }
                lines.append(line)
            }
            if summary.failures.count > 500 { lines.append("  … and \(summary.failures.count - 500) more (see --json)") }
        }
        return lines.joined(separator: "\n")
    }
}
