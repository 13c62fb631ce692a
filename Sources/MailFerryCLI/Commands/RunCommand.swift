import ArgumentParser
import Foundation

/// `mailferry run job.toml` and `mailferry plan job.toml`: a migration written down, reviewed
/// and rerun. The job file stands for a `copy` command line (see docs/job-files.md); a rerun
/// resumes from the same checkpoint as that command line would.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the copy a job file describes.",
        discussion: """
            The job file (TOML) has sections [source], [destination], [folders], [filters], \
            [transforms], [limits], [checkpoint], [local], [pop3] and [output]; each key stands \
            for a copy option (see docs/job-files.md). Unknown keys are errors with their line \
            number. Passwords are never in the file: password_env, password_file or \
            password_command say where they are.

            Example:
              mailferry plan migration.toml     # folders, counts, bytes and an ETA; writes nothing
              mailferry run migration.toml
            """)

    @Argument(help: "The job file.")
    var jobFile: String

    @ArgumentParser.Flag(help: "Show the plan and write nothing (as `mailferry plan`).")
    var dryRun = false

    @ArgumentParser.Flag(help: "Print the copy command line the job file stands for (passwords are never in it) and stop.")
    var showCommand = false

    func run() async throws {
        try await Self.execute(jobFile: jobFile, dryRun: dryRun, showCommand: showCommand)
    }

    static func execute(jobFile: String, dryRun: Bool, showCommand: Bool) async throws {
        let job: JobFile
        do {
            job = try JobFile.load(path: jobFile)
        } catch let failure as JobFile.Failure {
            Terminal.standardError("mailferry: \(failure.description)")
            throw ExitStatus.usage.exitCode
        }
        let arguments = job.arguments + (dryRun ? ["--dry-run"] : [])
        if showCommand {
            print((["mailferry", "copy"] + arguments).map(shellQuoted).joined(separator: " "))
            return
        }
        for (name, value) in job.environment { setenv(name, value, 1) }
        var command: CopyCommand
        do {
            command = try CopyCommand.parse(arguments)
        } catch {
            Terminal.standardError("mailferry: \(jobFile): \(CopyCommand.message(for: error))")
            throw ExitStatus.usage.exitCode
        }
        try await command.run()
    }

    static func shellQuoted(_ text: String) -> String {
        if !text.isEmpty, text.allSatisfy({ $0.isLetter || $0.isNumber || "-_./:@=+,".contains($0) }) { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// `mailferry plan job.toml`: `run --dry-run`.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what a job file would copy: folder map, counts, bytes and an ETA; writes nothing.")

    @Argument(help: "The job file.")
    var jobFile: String

    func run() async throws {
        try await RunCommand.execute(jobFile: jobFile, dryRun: true, showCommand: false)
    }
}
