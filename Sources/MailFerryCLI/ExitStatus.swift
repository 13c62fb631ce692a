import ArgumentParser
import Engine
import MailCore

/// MailFerry's exit codes (documented in the README).
public enum ExitStatus: Int32, Sendable {
    /// Everything selected was copied (or listed, or planned).
    case success = 0
    /// Some messages or folders failed; the report lists them.
    case partial = 1
    /// The command line or configuration is wrong.
    case usage = 2
    /// A store could not be opened, or failed so that the run stopped.
    case storeFailure = 3
    /// The checkpoint could not be used: another run holds it, or it is damaged, missing or
    /// belongs to another job.
    case checkpointRefused = 4

    init(_ outcome: CopyReport.Outcome) {
        switch outcome {
        case .complete: self = .success
        case .partial: self = .partial
        case .stopped, .failed: self = .storeFailure
        }
    }

    /// The exit status for an error that ended a command early.
    static func forError(_ error: MailError) -> ExitStatus {
        switch error.code {
        case .invalidEndpoint, .unsupported: return .usage
        default: return error.scope == .store ? .storeFailure : .partial
        }
    }

    var exitCode: ExitCode { ExitCode(rawValue) }
}
