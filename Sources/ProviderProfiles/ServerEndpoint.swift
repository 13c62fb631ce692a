/// One server of a provider (its IMAP or its POP3 side).
///
/// An empty `host` means "take the host from the URL": generic profiles (Dovecot, Cyrus) carry
/// server behaviour, not an address.
public struct ServerEndpoint: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var security: ConnectionSecurity
    /// Mechanisms to try, most preferred first; empty means "whatever the server offers".
    public var auth: [AuthMechanism]
    /// Most simultaneous connections the provider tolerates per account, if known.
    public var maxConnections: Int?

    public init(
        host: String, port: Int, security: ConnectionSecurity, auth: [AuthMechanism] = [], maxConnections: Int? = nil
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.auth = auth
        self.maxConnections = maxConnections
    }

    /// True when the host must come from the URL the user wrote.
    public var takesHostFromURL: Bool { host.isEmpty }
}

/// How the connection is protected.
public enum ConnectionSecurity: String, Sendable, CaseIterable {
    /// TLS from the first byte (ports 993, 995).
    case tls
    /// Plain connection upgraded with STARTTLS (IMAP) or STLS (POP3).
    case starttls
    /// No encryption; only sensible for loopback (e.g. a local bridge or test server).
    case none
}

/// SASL and login mechanisms a profile may prefer.
public enum AuthMechanism: String, Sendable, CaseIterable {
    case plain
    case login
    case xoauth2
    case oauthbearer
    case cramMD5 = "cram-md5"
}
