import Foundation
import MailCore

/// Where checkpoints live: `$XDG_STATE_HOME/mailferry/jobs/<job id>.sqlite`, with
/// `$XDG_STATE_HOME` defaulting to `~/.local/state` (the XDG base directory specification).
public enum CheckpointLocation {
    /// The directory that holds every job's checkpoint.
    public static func jobsDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        var state = environment["XDG_STATE_HOME"] ?? ""
        if state.isEmpty || !state.hasPrefix("/") {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            state = home + "/.local/state"
        }
        return state + "/mailferry/jobs"
    }

    /// The default checkpoint path of a job.
    public static func defaultPath(
        for identity: JobIdentity, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        jobsDirectory(environment: environment) + "/\(identity.id).sqlite"
    }

    /// The job file kept beside a checkpoint: it says the job has run (so a missing database is an
    /// error, not a fresh start) and is the lock a running process holds.
    public static func jobFile(for databasePath: String) -> String { databasePath + ".job" }

    /// Every checkpoint in the jobs directory, newest first.
    public static func existingJobs(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        let directory = jobsDirectory(environment: environment)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let paths = names.filter { $0.hasSuffix(".sqlite") }.map { directory + "/" + $0 }
        func modified(_ path: String) -> Date {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
        }
        return paths.map { ($0, modified($0)) }.sorted { $0.1 > $1.1 }.map(\.0)
    }
}
