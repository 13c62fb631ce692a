import Foundation
import Synchronization
import IMAPClient
import MailCore
import NetworkProgress
import POP3Client

/// How to log in to a network store (IMAP or POP3), for one side of a copy.
public struct ConnectionOptions: Sendable {
    /// Where the password comes from; `nil` means the side's environment variable
    /// (`MAILFERRY_SOURCE_PASSWORD` / `MAILFERRY_DEST_PASSWORD`), else a prompt on a terminal.
    public var password: SecretSource?
    /// Where an OAuth2 bearer token comes from; set, it replaces the password (XOAUTH2/OAUTHBEARER).
    public var oauth2Token: SecretSource?
    public var mechanism: IMAPConfiguration.Mechanism = .automatic
    /// A provider profile's login order for `automatic` (see ``IMAPConfiguration/preferredMechanisms``).
    public var preferredMechanisms: [IMAPConfiguration.Mechanism] = []
    /// The same for POP3 (the profile's `[pop3]` order).
    public var pop3PreferredMechanisms: [POP3Configuration.Mechanism] = []
    /// Certificate authorities to trust instead of the system's.
    public var caFile: String?
    /// Accept any certificate (loudly announced; never the default).
    public var insecureTLS = false
    /// Allow a plaintext connection and plaintext login when the server offers no STARTTLS.
    public var allowPlaintext = false
    /// Connections to open at most (folders moved at once). Default 4.
    public var connections = 4
    /// FETCH batches (reading) or APPEND commands (writing) in flight per connection. Default 4.
    public var pipelineDepth = 4
    /// Compress the connection (COMPRESS=DEFLATE) when the server offers it. Default off.
    public var compress = false
    /// POP3: how to log in (`user`, `apop` and the SASL mechanisms); `automatic` by default.
    public var pop3Mechanism: POP3Configuration.Mechanism = .automatic
    /// POP3: use APOP when the server offers it (it rests on MD5, so only when asked).
    public var allowAPOP = false
    /// POP3: RETR commands in flight when the server offers PIPELINING. Default 32.
    public var pop3PipelineDepth = 32
    /// POP3: response line octets accepted beyond RFC 1939's 512.
    public var pop3LineTolerance = 512
    /// Most messages one command may touch (a provider's cap, as RFC 9738 MESSAGELIMIT); the
    /// server's own `MESSAGELIMIT=N` is honoured either way. `nil`: only the server's.
    public var messageLimit: Int?
    /// How slowly a server may send a greeting, a line, the TLS handshake or a message before
    /// the connection is ended (`--response-deadline`, `--minimum-rate`, `--rate-window`).
    public var progress = ProgressLimits.standard
    /// Receives the protocol trace, credentials redacted.
    public var trace: (@Sendable (String) -> Void)?
    /// Bytes this side may transfer per ``budgetWindow`` (a provider's daily limit: Gmail 2,500 MB
    /// down, 500 MB up); when used up the side pauses until the window ends. `nil`: no budget.
    public var dailyBudget: Int?
    /// The budget's window in seconds (a day).
    public var budgetWindow: Double = 86_400
    /// Where budget usage is kept between runs of the job (its checkpoint, once attached).
    public var budgetLedger: TransferBudgetLedger?
    /// Told of every pause for a server's back-off or the budget, and of fewer connections.
    public var throttleObserver: (@Sendable (String) -> Void)?
    /// Where those pauses are recorded (until when), so the engine's stall watchdog does not
    /// take an announced wait for a copy that stopped moving.
    public var pauses: DeliberatePauses?

    public init() {}

    /// The environment variable that holds this side's password by default.
    static func passwordVariable(side: String) -> String { side == "source" ? "MAILFERRY_SOURCE_PASSWORD" : "MAILFERRY_DEST_PASSWORD" }

    /// Where this side's secret comes from: an OAuth2 token, or a password (the option, the
    /// side's environment variable, else a prompt asked once per run).
    private func secret(user: String, host: String, side: String) -> (token: Bool, value: @Sendable () throws -> String) {
        if let oauth2Token { return (true, { try oauth2Token.resolve() }) }
        let source = password
            ?? (ProcessInfo.processInfo.environment[Self.passwordVariable(side: side)] != nil
                ? .environment(Self.passwordVariable(side: side))
                : .prompt("Password for \(user) at \(host) (\(side))"))
        let cache = PromptCache(source: source)
        return (false, { try cache.value() })
    }

    /// The client configuration for `endpoint`. Secrets are read when a connection logs in (again
    /// on reconnect, so a refreshed token is picked up); a prompted password is asked once.
    func configuration(for endpoint: IMAPEndpoint, side: String) throws -> IMAPConfiguration {
        let security = endpoint.security
        let (isToken, value) = self.secret(user: endpoint.username, host: endpoint.host, side: side)
        let secret: IMAPConfiguration.Secret = isToken ? .oauth2Token(value) : .password(value)
        var configuration = IMAPConfiguration(
            host: endpoint.host, port: endpoint.port, security: security, username: endpoint.username, secret: secret)
        configuration.mechanism = mechanism
        configuration.preferredMechanisms = preferredMechanisms
        configuration.caFile = caFile
        configuration.insecureSkipVerification = insecureTLS
        configuration.allowPlaintextAuthentication = allowPlaintext
        configuration.compress = compress
        configuration.progress = progress
        configuration.trace = trace
        return configuration
    }

    /// The POP3 client configuration for `endpoint` (always the source side).
    func pop3Configuration(for endpoint: POP3Endpoint) throws -> POP3Configuration {
        let (isToken, value) = self.secret(user: endpoint.username, host: endpoint.host, side: "source")
        let secret: POP3Configuration.Secret = isToken ? .oauth2Token(value) : .password(value)
        var configuration = POP3Configuration(
            host: endpoint.host, port: endpoint.port, security: endpoint.security, username: endpoint.username, secret: secret)
        configuration.mechanism = pop3Mechanism
        configuration.preferredMechanisms = pop3PreferredMechanisms
        configuration.allowAPOP = allowAPOP || pop3Mechanism == .apop
        configuration.caFile = caFile
        configuration.insecureSkipVerification = insecureTLS
        configuration.allowPlaintext = allowPlaintext
        configuration.pipelineDepth = max(1, pop3PipelineDepth)
        configuration.parserLimits.lineLengthTolerance = pop3LineTolerance
        configuration.progress = progress
        configuration.trace = trace
        return configuration
    }
}

/// Asks a prompt once per run; other sources are read each time.
final class PromptCache: Sendable {
    let source: SecretSource
    private let cached = Mutex<String?>(nil)

    init(source: SecretSource) { self.source = source }

    func value() throws -> String {
        guard case .prompt = source else { return try source.resolve() }
        if let value = cached.withLock({ $0 }) { return value }
        let value = try source.resolve()
        cached.withLock { $0 = value }
        return value
    }
}
