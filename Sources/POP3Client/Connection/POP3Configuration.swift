import NetworkProgress

/// How to reach and log in to one POP3 server.
public struct POP3Configuration: Sendable {
    /// How the connection is protected.
    public enum Security: Sendable, Hashable {
        /// TLS from the first byte (`pop3s://`, port 995).
        case implicitTLS
        /// Plain TCP, then STLS, which is required (`pop3://`, port 110).
        case startTLS
    }

    /// How to authenticate; `automatic` picks SASL PLAIN, USER/PASS or SASL LOGIN for passwords
    /// (in that order, from what CAPA lists) and XOAUTH2/OAUTHBEARER for tokens.
    public enum Mechanism: String, Sendable, Hashable, CaseIterable {
        case automatic = "auto"
        case user
        case plain
        case login
        case apop
        case xoauth2
        case oauthbearer
    }

    /// A secret, fetched when a connection logs in (again on reconnect).
    public enum Secret: Sendable {
        case password(@Sendable () async throws -> String)
        case oauth2Token(@Sendable () async throws -> String)
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String
    public var secret: Secret
    public var mechanism: Mechanism = .automatic
    /// A provider profile's order for `automatic`, most preferred first: the first that suits the
    /// secret and that the server offers. When none in the list suits the secret, logging in is
    /// refused before the secret is read (a provider that takes only tokens).
    public var preferredMechanisms: [Mechanism] = []
    /// APOP is used only when this is set (or ``mechanism`` is `.apop`): it rests on MD5.
    public var allowAPOP = false
    /// PEM file with the certificate authorities to trust; `nil` uses the system's trust store.
    public var caFile: String?
    /// Accept any certificate. Never the default; announced loudly by the CLI.
    public var insecureSkipVerification = false
    /// With `.startTLS`: go on without TLS when the server offers no STLS (never the default).
    public var allowPlaintext = false
    public var connectTimeout: Double = 30
    /// How long to wait for the server while a response is due (no byte at all).
    public var responseTimeout: Double = 120
    /// How slowly the server may send its greeting, a line, the TLS handshake or a message
    /// before the connection is ended (a server that trickles; see ``ProgressLimits``).
    public var progress = ProgressLimits.standard
    /// Commands in flight when the server offers PIPELINING (RFC 2449); 1 otherwise.
    public var pipelineDepth = 32
    public var parserLimits = POP3ResponseParser.Limits()
    /// Receives every line sent and received (credentials redacted, message data summarised).
    public var trace: (@Sendable (String) -> Void)?

    public init(host: String, port: Int, security: Security, username: String, secret: Secret) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.secret = secret
    }
}
