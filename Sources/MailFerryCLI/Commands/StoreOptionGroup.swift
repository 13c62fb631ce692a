import ArgumentParser
import MailArchive
import MailCore
import ProviderProfiles
import MailFormats
import Stores

/// Options of the local stores, shared by every command that opens a store.
struct StoreOptionGroup: ParsableArguments {
    @Option(help: "Layout of a new Maildir: maildir++ (default) or fs. An existing Maildir keeps its own.")
    var maildirLayout: MaildirLayoutArgument?

    @ArgumentParser.Flag(help: "Deliver messages without flags into new/ rather than cur/.")
    var maildirNew = false

    @ArgumentParser.Flag(help: "Write Maildir files with the line endings the message has, instead of LF.")
    var keepLineEndings = false

    @Option(help: "mbox dialect to read: auto (default), mboxo, mboxrd or mboxcl2.")
    var mboxDialect: MboxDialectArgument = .auto

    @Option(help: "Seconds to wait for another program's lock on an mbox file.")
    var lockTimeout: Double = 30

    @Option(help: "Format of a new archive whose name does not tell: zst, gz, xz, bz2, tar or zip.")
    var archiveFormat: ArchiveFormatArgument?

    var storeOptions: StoreOptions {
        var options = StoreOptions()
        options.maildirLayout = maildirLayout?.layout
        options.maildirNewForUnseen = maildirNew
        options.maildirLineEndings = keepLineEndings ? nil : .lf
        options.mboxDialect = mboxDialect.dialect
        options.lockTimeout = lockTimeout
        options.archiveFormat = archiveFormat?.format
        return options
    }
}

struct ArchiveFormatArgument: ExpressibleByArgument {
    var format: ArchiveFormat

    init?(argument: String) {
        guard let format = ArchiveFormat(option: argument) else { return nil }
        self.format = format
    }
}

enum MaildirLayoutArgument: String, ExpressibleByArgument, CaseIterable {
    case maildirPlusPlus = "maildir++"
    case fs

    var layout: MaildirLayout { self == .fs ? .fs : .maildirPlusPlus }
}

enum MboxDialectArgument: String, ExpressibleByArgument, CaseIterable {
    case auto, mboxo, mboxrd, mboxcl2

    var dialect: MboxDialect? { self == .auto ? nil : MboxDialect(rawValue: rawValue) }
}

/// Opens endpoints, turning failures into MailFerry's exit codes with a clear message.
enum EndpointOpener {
    static func parse(_ text: String) throws -> StoreEndpoint {
        try resolve(text).endpoint
    }

    /// The endpoint, with a `PROFILE://` URL made an IMAP one, and that profile.
    static func resolve(_ text: String) throws -> (endpoint: StoreEndpoint, profile: ProviderProfile?) {
        var url = text
        var profile: ProviderProfile?
        if let schemeEnd = text.range(of: "://"),
            !ProfileResolver.builtInSchemes.contains(text[..<schemeEnd.lowerBound].lowercased())
        {
            (url, profile) = try ProfileResolver.expand(text, catalog: try ProfileResolver.catalog())
        }
        do {
            return (try StoreEndpoint(parsing: url), profile)
        } catch let error as MailError {
            Terminal.standardError("mailferry: \(error.description)")
            throw ExitStatus.forError(error).exitCode
        }
    }

    /// Opens the source; a failure is said on standard error and, through `failure`, in the
    /// command's report (``FailureReport``), then ends the command (exit 3).
    static func openSource(
        _ endpoint: StoreEndpoint, options: StoreOptions, failure: FailureReport? = nil
    ) async throws -> any MessageSource {
        do {
            return try await StoreFactory.openSource(endpoint, options: options)
        } catch let error as MailError {
            Terminal.standardError("mailferry: cannot open source \(endpoint): \(error.description)")
            failure?.emit(error, context: "cannot open source \(endpoint)")
            throw ExitStatus.storeFailure.exitCode
        }
    }

    static func openSink(
        _ endpoint: StoreEndpoint, options: StoreOptions, failure: FailureReport? = nil
    ) async throws -> any MessageSink {
        do {
            return try await StoreFactory.openSink(endpoint, options: options)
        } catch let error as MailError {
            Terminal.standardError("mailferry: cannot open destination \(endpoint): \(error.description)")
            failure?.emit(error, context: "cannot open destination \(endpoint)")
            throw ExitStatus.forError(error).exitCode
        }
    }
}
