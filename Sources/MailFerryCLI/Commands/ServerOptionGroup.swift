import ArgumentParser
import Engine
import Foundation
import IMAPClient
import POP3Client
import MailCore
import NetworkProgress
import Stores
import Synchronization

/// Options for logging in to servers. Passwords never come from the command line: from
/// `MAILFERRY_SOURCE_PASSWORD` / `MAILFERRY_DEST_PASSWORD`, a file, a command, or a prompt.
struct ServerOptionGroup: ParsableArguments {
    @Option(help: ArgumentHelp("File whose first line is the source's password.", valueName: "path"))
    var sourcePasswordFile: String?

    @Option(help: ArgumentHelp("File whose first line is the destination's password.", valueName: "path"))
    var destPasswordFile: String?

    @Option(help: ArgumentHelp("Command that prints the source's password (e.g. 'pass show mail/old').", valueName: "command"))
    var sourcePasswordCommand: String?

    @Option(help: ArgumentHelp("Command that prints the destination's password.", valueName: "command"))
    var destPasswordCommand: String?

    @Option(help: ArgumentHelp("File holding an OAuth2 bearer token for the source (XOAUTH2/OAUTHBEARER).", valueName: "path"))
    var sourceOauth2TokenFile: String?

    @Option(help: ArgumentHelp("File holding an OAuth2 bearer token for the destination.", valueName: "path"))
    var destOauth2TokenFile: String?

    @Option(help: ArgumentHelp("Command that prints an OAuth2 bearer token for the source (run again on reconnect).", valueName: "command"))
    var sourceOauth2TokenCommand: String?

    @Option(help: ArgumentHelp("Command that prints an OAuth2 bearer token for the destination.", valueName: "command"))
    var destOauth2TokenCommand: String?

    @Option(help: "Source authentication: auto (default), plain, login, xoauth2, oauthbearer; for POP3 also user, apop.")
    var sourceAuth: MechanismArgument = .auto

    @Option(help: "Destination authentication: auto (default), plain, login, xoauth2, oauthbearer.")
    var destAuth: MechanismArgument = .auto

    @Option(help: ArgumentHelp("PEM file of certificate authorities to trust, for both sides.", valueName: "path"))
    var caFile: String?

    @Option(help: ArgumentHelp("PEM file of certificate authorities to trust for the source.", valueName: "path"))
    var sourceCaFile: String?

    @Option(help: ArgumentHelp("PEM file of certificate authorities to trust for the destination.", valueName: "path"))
    var destCaFile: String?

    @ArgumentParser.Flag(help: "DANGEROUS: accept any TLS certificate on both sides (anyone on the path can read your mail).")
    var tlsInsecure = false

    @ArgumentParser.Flag(help: "DANGEROUS: accept any TLS certificate from the source.")
    var sourceTlsInsecure = false

    @ArgumentParser.Flag(help: "DANGEROUS: accept any TLS certificate from the destination.")
    var destTlsInsecure = false

    @ArgumentParser.Flag(help: "DANGEROUS: with imap://, log in without TLS when the server offers no STARTTLS.")
    var allowPlaintext = false

    @Option(help: "Connections per server, i.e. folders copied at once (default 4, or fewer when the provider's profile says so).")
    var connections: Int?

    @Option(help: ArgumentHelp("Provider profile for every IMAP side that has no other (PROFILE:// URL, --source/--dest-profile).", valueName: "name"))
    var profile: String?

    @Option(help: ArgumentHelp("Provider profile for the source (default: from a PROFILE:// URL or the server's name).", valueName: "name"))
    var sourceProfile: String?

    @Option(help: ArgumentHelp("Provider profile for the destination.", valueName: "name"))
    var destProfile: String?

    @Option(help: "FETCH or APPEND commands in flight per connection (default 4).")
    var pipelineDepth = 4

    @ArgumentParser.Flag(help: "Compress IMAP connections (COMPRESS=DEFLATE) when the server offers it: for slow links.")
    var compress = false

    @Option(help: ArgumentHelp(
        "Download at most this much from the source per day, pausing (and saying until when) once it is used up: 2500M (Gmail's limit).",
        valueName: "size"))
    var dailyDownloadLimit: String?

    @Option(help: ArgumentHelp("Upload at most this much to the destination per day, pausing once it is used up: 500M (Gmail's).", valueName: "size"))
    var dailyUploadLimit: String?

    @Option(help: ArgumentHelp(
        "End a connection whose server takes longer than this to send its greeting, a response line or the TLS handshake "
            + "(a server that trickles; default 60, 0: off). The folder is retried or fails; the checkpoint stays consistent.",
        valueName: "seconds"))
    var responseDeadline: Double = ProgressLimits.standard.responseDeadline

    @Option(help: ArgumentHelp(
        "End a connection over which a message arrives slower than this, averaged over --rate-window (default 1K, 0: off).",
        valueName: "bytes/s"))
    var minimumRate: String = "1K"

    @Option(help: ArgumentHelp("The window for --minimum-rate (default 60).", valueName: "seconds"))
    var rateWindow: Double = ProgressLimits.standard.window

    @Option(help: ArgumentHelp(
        "Stop the run when a folder's copy reads and stores nothing for this long, outside announced pauses "
            + "(default 300, 0: off; exit 3, and the next run resumes).",
        valueName: "seconds"))
    var stallTimeout: Double = 300

    /// The budgets' window in seconds (a day); for tests.
    @Option(help: .hidden)
    var budgetWindow: Double?

    @Option(
        name: [.customLong("trace"), .customLong("imap-trace")],
        help: ArgumentHelp("Write the IMAP/POP3 protocol trace (credentials redacted) to this file.", valueName: "path"))
    var imapTrace: String?

    func validate() throws {
        for (name, value) in [("--daily-download-limit", dailyDownloadLimit), ("--daily-upload-limit", dailyUploadLimit)] {
            if let value, (FilterOptionGroup.size(value) ?? 0) < 1 {
                throw ValidationError("\(name) \"\(value)\" is not a size (examples: 2500M, 1G)")
            }
        }
        guard stallTimeout >= 0, stallTimeout.isFinite else { throw ValidationError("--stall-timeout must be 0 or more seconds") }
        guard responseDeadline >= 0, responseDeadline.isFinite else { throw ValidationError("--response-deadline must be 0 or more seconds") }
        guard rateWindow > 0, rateWindow.isFinite else { throw ValidationError("--rate-window must be more than 0 seconds") }
        guard Self.rate(minimumRate) != nil else {
            throw ValidationError("--minimum-rate \"\(minimumRate)\" is not a rate in bytes per second (examples: 1K, 512, 0)")
        }
        guard (1...64).contains(connections ?? 4) else { throw ValidationError("--connections must be between 1 and 64") }
        guard (1...64).contains(pipelineDepth) else { throw ValidationError("--pipeline-depth must be between 1 and 64") }
        if [sourcePasswordFile, sourcePasswordCommand].compactMap({ $0 }).count > 1 {
            throw ValidationError("give at most one of --source-password-file and --source-password-command")
        }
        if destAuth.isPOP3Only { throw ValidationError("--dest-auth \(destAuth.rawValue) is for POP3, which is never a destination") }
        if [destPasswordFile, destPasswordCommand].compactMap({ $0 }).count > 1 {
            throw ValidationError("give at most one of --dest-password-file and --dest-password-command")
        }
    }

    /// Applies these options to both sides of `options`.
    func apply(to options: inout StoreOptions) throws {
        let trace = try imapTrace.map(TraceFile.init(path:))
        options.source = side(
            "source", password: sourcePasswordFile.map(SecretSource.file) ?? sourcePasswordCommand.map(SecretSource.command),
            token: sourceOauth2TokenFile.map(SecretSource.file) ?? sourceOauth2TokenCommand.map(SecretSource.command)
                ?? environmentToken("MAILFERRY_SOURCE_OAUTH2_TOKEN"),
            mechanism: sourceAuth, caFile: sourceCaFile ?? caFile, insecure: tlsInsecure || sourceTlsInsecure, trace: trace)
        options.destination = side(
            "destination", password: destPasswordFile.map(SecretSource.file) ?? destPasswordCommand.map(SecretSource.command),
            token: destOauth2TokenFile.map(SecretSource.file) ?? destOauth2TokenCommand.map(SecretSource.command)
                ?? environmentToken("MAILFERRY_DEST_OAUTH2_TOKEN"),
            mechanism: destAuth, caFile: destCaFile ?? caFile, insecure: tlsInsecure || destTlsInsecure, trace: trace)
        let progress = ProgressLimits(
            responseDeadline: responseDeadline, minimumRate: Self.rate(minimumRate) ?? 0, window: rateWindow)
        options.source.progress = progress
        options.destination.progress = progress
        // One record of announced pauses for both sides, read by the engine's stall watchdog.
        let pauses = DeliberatePauses()
        options.source.pauses = pauses
        options.destination.pauses = pauses
        options.source.dailyBudget = dailyDownloadLimit.flatMap(FilterOptionGroup.size)
        options.destination.dailyBudget = dailyUploadLimit.flatMap(FilterOptionGroup.size)
        if let budgetWindow {
            options.source.budgetWindow = budgetWindow
            options.destination.budgetWindow = budgetWindow
        }
        // One ledger for both sides; the job's checkpoint is attached once open.
        let ledger = TransferBudgetLedger()
        options.source.budgetLedger = ledger
        options.destination.budgetLedger = ledger
    }

    /// The engine's stall watchdog: `--stall-timeout`, and the pauses the stores of `stores` announce.
    func applyStallWatch(to copyOptions: inout CopyOptions, stores: StoreOptions) {
        copyOptions.stallTimeout = stallTimeout > 0 ? stallTimeout : nil
        copyOptions.pauses = stores.source.pauses
    }

    /// Sends every pause and connection change to `notices` (printed, and kept for the report).
    func observeThrottling(_ options: inout StoreOptions, notices: ThrottleNotices) {
        options.source.throttleObserver = { notices.add($0) }
        options.destination.throttleObserver = { notices.add($0) }
    }

    /// `--minimum-rate`: bytes per second as a size (`1K`, `512`), or 0.
    static func rate(_ text: String) -> Int? {
        if text.trimmingCharacters(in: .whitespaces) == "0" { return 0 }
        return FilterOptionGroup.size(text)
    }

    private func environmentToken(_ name: String) -> SecretSource? {
        ProcessInfo.processInfo.environment[name].map { _ in .environment(name) }
    }

    private func side(
        _ name: String, password: SecretSource?, token: SecretSource?, mechanism: MechanismArgument, caFile: String?,
        insecure: Bool, trace: TraceFile?
    ) -> ConnectionOptions {
        var options = ConnectionOptions()
        options.password = password
        options.oauth2Token = token
        options.mechanism = mechanism.mechanism
        options.pop3Mechanism = mechanism.pop3Mechanism
        options.caFile = caFile
        options.insecureTLS = insecure
        options.allowPlaintext = allowPlaintext
        options.connections = connections ?? 4
        options.pipelineDepth = pipelineDepth
        options.compress = compress
        if let trace { options.trace = { trace.write("[\(name)] \($0)") } }
        return options
    }

    /// Warns on standard error about every safety the user switched off.
    func warnAboutInsecureChoices() {
        if tlsInsecure || sourceTlsInsecure || destTlsInsecure {
            Terminal.standardError(
                "WARNING: TLS certificate verification is OFF (\(tlsInsecure ? "both sides" : sourceTlsInsecure ? "source" : "destination")): "
                    + "anyone between you and the server can read and change your mail and password.")
        }
        if allowPlaintext {
            Terminal.standardError("WARNING: --allow-plaintext: credentials may cross the network unencrypted.")
        }
    }
}

enum MechanismArgument: String, ExpressibleByArgument, CaseIterable {
    case auto, plain, login, xoauth2, oauthbearer, user, apop

    var mechanism: IMAPConfiguration.Mechanism { IMAPConfiguration.Mechanism(rawValue: rawValue) ?? .automatic }
    var pop3Mechanism: POP3Configuration.Mechanism { POP3Configuration.Mechanism(rawValue: rawValue) ?? .automatic }
    /// USER/PASS and APOP exist only in POP3.
    var isPOP3Only: Bool { self == .user || self == .apop }
}

/// The `--imap-trace` file: lines from several connections, written whole.
final class TraceFile: Sendable {
    private let handle: Mutex<FileHandle>

    init(path: String) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw ValidationError("cannot write the trace file \(path)")
        }
        handle.truncateFile(atOffset: 0)
        self.handle = Mutex(handle)
    }

    func write(_ line: String) {
        let stamp = String(format: "%.3f", Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 1000))
        handle.withLock { $0.write(Data("\(stamp) \(line)\n".utf8)) }
    }
}
