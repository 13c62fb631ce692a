import ArgumentParser
import Engine
import Foundation
import Stores

/// Options for a POP3 source: the flags its mail arrives with, and deleting copied mail from the
/// server (never by default).
struct POP3OptionGroup: ParsableArguments {
    @ArgumentParser.Flag(help: "Give messages copied from POP3 the \\Seen flag (POP3 keeps no flags).")
    var markSeen = false

    @ArgumentParser.Flag(help: "Copy messages from POP3 without \\Seen, as new mail (the default).")
    var markUnseen = false

    @ArgumentParser.Flag(help: "Leave every message on the POP3 server (the default).")
    var leaveOnServer = false

    @ArgumentParser.Flag(help: "Delete messages from the POP3 server once their copies are confirmed and checkpointed.")
    var deleteAfterCopy = false

    @Option(help: ArgumentHelp(
        "Delete copied messages from the POP3 server once they are older than DAYS (the rest stay).", valueName: "days"))
    var deleteOlderThan: Int?

    @ArgumentParser.Flag(help: "Log in to POP3 with APOP when the server offers it (it relies on MD5).")
    var pop3Apop = false

    @Option(help: ArgumentHelp("POP3 response line octets accepted beyond RFC 1939's 512 (default 512).", valueName: "octets"))
    var pop3LineTolerance = 512

    func validate() throws {
        if markSeen && markUnseen { throw ValidationError("--mark-seen and --mark-unseen exclude each other") }
        if leaveOnServer && (deleteAfterCopy || deleteOlderThan != nil) {
            throw ValidationError("--leave-on-server excludes --delete-after-copy and --delete-older-than")
        }
        if deleteAfterCopy && deleteOlderThan != nil {
            throw ValidationError("give --delete-after-copy or --delete-older-than, not both")
        }
        if let deleteOlderThan, deleteOlderThan < 0 { throw ValidationError("--delete-older-than takes a number of days, 0 or more") }
        guard (0...1 << 20).contains(pop3LineTolerance) else { throw ValidationError("--pop3-line-tolerance must be 0 to 1048576") }
    }

    /// Whether any POP3-only option was given (an error with another kind of source).
    var usesPOP3Options: Bool { markSeen || markUnseen || leaveOnServer || pop3Apop || pop3LineTolerance != 512 }

    /// The removal policy the engine applies, if the user asked for one.
    func removal(now: Date = Date()) -> SourceRemovalPolicy? {
        if deleteAfterCopy { return SourceRemovalPolicy() }
        if let days = deleteOlderThan { return SourceRemovalPolicy(olderThan: now.addingTimeInterval(-Double(days) * 86_400)) }
        return nil
    }

    func apply(to options: inout StoreOptions) {
        options.pop3.markSeen = markSeen
        options.source.allowAPOP = pop3Apop
        options.source.pop3LineTolerance = pop3LineTolerance
    }
}
