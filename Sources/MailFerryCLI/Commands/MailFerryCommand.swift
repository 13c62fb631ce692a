import ArgumentParser
import MailCore

/// `mailferry`: the root command.
public struct MailFerryCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mailferry",
        abstract: "Move, migrate and archive mail between Maildir and mbox stores.",
        discussion: """
            Endpoints:
              maildir:PATH   a Maildir tree (Maildir++ or fs layout)
              mbox:PATH      an mbox file (.gz too) or a directory of mbox files

            Exit codes: 0 all copied, 1 some messages failed (listed), 2 usage or configuration \
            error, 3 a store could not be opened (or failed during the run).
            """,
        version: MailFerryVersion.current,
        subcommands: [CopyCommand.self, FoldersCommand.self]
    )

    public init() {}
}
