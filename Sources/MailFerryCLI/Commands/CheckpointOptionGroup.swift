import ArgumentParser
import Checkpoints
import Engine
import Foundation
import MailCore
import Stores

/// Where a copy keeps its checkpoint, and what a rerun does beyond copying what is new.
struct CheckpointOptionGroup: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The checkpoint database for this job (default: $XDG_STATE_HOME/mailferry/jobs/<job>.sqlite).",
        valueName: "path"))
    var checkpoint: String?

    @ArgumentParser.Flag(help: "Keep no checkpoint: a rerun copies everything again.")
    var noCheckpoint = false

    @ArgumentParser.Flag(help: "Also apply flag and keyword changes made on the source to messages copied before.")
    var syncFlags = false

    @ArgumentParser.Flag(help: "Skip messages the destination folder already holds (same Message-ID and size; same content when there is no Message-ID).")
    var dedup = false

    @ArgumentParser.Flag(help: "Copy only the messages that failed in earlier runs (also those that failed for good).")
    var retryFailed = false

    @ArgumentParser.Flag(help: "Go on with a source folder that lost over 90% of its messages since the last run.")
    var allowShrink = false

    @Option(help: .hidden)
    var batchMessages: Int?

    func validate() throws {
        if noCheckpoint && checkpoint != nil { throw ValidationError("--checkpoint and --no-checkpoint exclude each other") }
        if noCheckpoint && (syncFlags || retryFailed) {
            throw ValidationError("--sync-flags and --retry-failed need the checkpoint of earlier runs")
        }
        if let batchMessages, batchMessages < 1 { throw ValidationError("--batch-messages must be at least 1") }
    }

    /// The rerun options for the engine.
    var resumeOptions: ResumeOptions {
        var options = ResumeOptions()
        options.syncFlags = syncFlags
        options.dedup = dedup
        options.retryFailed = retryFailed
        options.allowShrink = allowShrink
        options.faultPoint = FaultInjection.fromEnvironment()
        return options
    }

    /// The job's identity: where from, where to, and where folders land.
    static func identity(source: StoreEndpoint, destination: StoreEndpoint, toFolder: FolderPath?) -> JobIdentity {
        var mapping: [String: String] = [:]
        if let toFolder { mapping["to-folder"] = toFolder.components.joined(separator: "/") }
        return JobIdentity(source: source.jobKey, destination: destination.jobKey, mapping: mapping)
    }

    /// The job's checkpoint read-only, for a dry run: no lock taken, nothing written; `nil`
    /// with `--no-checkpoint` or for a job that never ran. One that cannot be used is a warning
    /// (the plan then shows every message).
    func preview(identity: JobIdentity) -> SQLiteCheckpointPreview? {
        guard !noCheckpoint else { return nil }
        let path = checkpoint.map { StoreEndpoint.expandTilde($0) } ?? CheckpointLocation.defaultPath(for: identity)
        do {
            return try SQLiteCheckpointPreview(path: path, identity: identity)
        } catch {
            Terminal.standardError("mailferry: warning: the plan does not use the checkpoint: \(error)")
            return nil
        }
    }

    /// Opens (or creates) the job's checkpoint; `nil` with `--no-checkpoint`. A refused
    /// checkpoint ends the command with exit code 4 and the reason.
    func open(identity: JobIdentity, failure: FailureReport? = nil) throws -> SQLiteCheckpointStore? {
        guard !noCheckpoint else { return nil }
        let path = checkpoint.map { StoreEndpoint.expandTilde($0) } ?? CheckpointLocation.defaultPath(for: identity)
        do {
            return try SQLiteCheckpointStore(path: path, identity: identity)
        } catch let error as MailError {
            Terminal.standardError("mailferry: \(error.description)")
            failure?.emit(error)
            throw ExitStatus.checkpointRefused.exitCode
        }
    }
}
