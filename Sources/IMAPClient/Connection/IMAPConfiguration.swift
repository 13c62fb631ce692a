import IMAPCore
import NetworkProgress

/// How to reach and log in to one IMAP server.
public struct IMAPConfiguration: Sendable {
    /// How the connection is protected.
    public enum Security: Sendable, Hashable {
        /// TLS from the first byte (`imaps://`, port 993).
        case implicitTLS
        /// Plain TCP, then STARTTLS, which is required (`imap://`, port 143).
        case startTLS
        /// Plain TCP without TLS; only with an explicit insecure option.
        case plaintext
    }

    /// Which SASL mechanism to use; `automatic` picks PLAIN (or LOGIN) for passwords and
    /// XOAUTH2/OAUTHBEARER for tokens from what the server offers.
    public enum Mechanism: String, Sendable, Hashable, CaseIterable {
        case automatic = "auto"
        case plain
        case login
        case xoauth2
        case oauthbearer
    }

    /// A secret (password or OAuth2 bearer token), fetched when needed — also again on reconnect,
    /// since a token may have expired.
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
    /// secret (password or token) and that the server offers. When none in the list suits the
    /// secret, logging in is refused before the secret is sent (Office 365 takes only tokens).
    /// Empty: PLAIN (else LOGIN) for passwords, XOAUTH2 (else OAUTHBEARER) for tokens.
    public var preferredMechanisms: [Mechanism] = []
    /// PEM file with the certificate authorities to trust; `nil` uses the system's trust store.
    public var caFile: String?
    /// Accept any certificate. Never the default; announced loudly by the CLI.
    public var insecureSkipVerification = false
    /// Allow LOGIN/PLAIN over an unencrypted connection (only meaningful with `.plaintext`).
    public var allowPlaintextAuthentication = false
    public var connectTimeout: Double = 30
    /// How long to wait for the server while a command is outstanding (no byte at all).
    public var responseTimeout: Double = 120
    /// How slowly the server may send a greeting, a response line, the TLS handshake or a
    /// message before the connection is ended (a server that trickles; see ``ProgressLimits``).
    public var progress = ProgressLimits.standard
    /// Use COMPRESS=DEFLATE (RFC 4978) when the server offers it: less data on slow links, more
    /// CPU. Off by default (on a fast link it only costs).
    public var compress = false
    public var parserLimits = ResponseParser.Limits()
    /// Receives every line sent and received (credentials redacted, literals summarised).
    public var trace: (@Sendable (String) -> Void)?

    public init(host: String, port: Int, security: Security, username: String, secret: Secret) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.secret = secret
    }
}
