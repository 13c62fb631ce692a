import ArgumentParser
import MailCore

/// `mailferry`: the root command.
public struct MailFerryCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mailferry",
        abstract: "Move, migrate and archive mail between IMAP servers, Maildir and mbox stores.",
        discussion: """
            Endpoints:
              maildir:PATH              a Maildir tree (Maildir++ or fs layout)
              mbox:PATH                 an mbox file (.gz too) or a directory of mbox files
              imaps://user@host[/folder] an IMAP account over TLS (imap:// uses STARTTLS)
              pop3s://user@host         a POP3 account over TLS (pop3:// uses STLS; source only)
              archive:FILE              a .tar.zst/.tar.gz/.tar.xz/.tar.bz2/.tar/.zip archive
              PROFILE://user[/folder]   a provider's IMAP account: gmail://me@gmail.com, office365://…
                                        (`mailferry profiles list`); PROFILE+pop3://user its POP3 server

            Exit codes: 0 all copied (verify: everything matches), 1 some messages failed or \
            differ (listed), 2 usage or configuration error, 3 a store could not be opened (or \
            failed during the run), 4 the checkpoint could not be used (another run holds it, or \
            it is damaged, missing or another job's).
            """,
        version: MailFerryVersion.current,
        subcommands: [
            CopyCommand.self, ArchiveCommand.self, StatusCommand.self, VerifyCommand.self, FoldersCommand.self,
            ProfilesCommand.self, RunCommand.self, PlanCommand.self,
        ]
    )

    public init() {}
}
