import Foundation
import MailCore
import POP3Client

/// `pop3s://user@host[:port]` (TLS from the start, port 995) or `pop3://user@host[:port]`
/// (STLS, required; port 110).
///
/// The user part is percent-decoded; a password in the URL is refused. POP3 has one mailbox, so
/// there is no folder part: `--pop3-folder` names the folder its mail is copied as.
public struct POP3Endpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var security: POP3Configuration.Security
    public var username: String

    public init(parsing text: String) throws {
        guard let schemeEnd = text.range(of: "://") else { throw Self.usage("\"\(text)\" is not a pop3:// or pop3s:// URL") }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        var rest = Substring(text[schemeEnd.upperBound...])
        switch scheme {
        case "pop3s": security = .implicitTLS
        case "pop3": security = .startTLS
        default: throw Self.usage("unknown scheme \(scheme)")
        }
        if let slash = rest.firstIndex(of: "/") {
            guard rest[rest.index(after: slash)...].isEmpty else {
                throw Self.usage("a POP3 account has no folders: drop the path from \"\(text)\" (--to-folder names the destination folder)")
            }
            rest = rest[..<slash]
        }
        guard let at = rest.lastIndex(of: "@") else {
            throw Self.usage("\"\(text)\" names no user: write \(scheme)://user@\(rest)")
        }
        let userInfo = rest[..<at]
        if userInfo.contains(":") {
            throw Self.usage(
                "a password in the URL would be visible to every user of this machine; "
                    + "use MAILFERRY_SOURCE_PASSWORD, a password file or a password command")
        }
        guard let user = String(userInfo).removingPercentEncoding, !user.isEmpty else {
            throw Self.usage("\"\(text)\" names no user")
        }
        username = user
        var hostPort = rest[rest.index(after: at)...]
        var explicitPort: Int?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw Self.usage("bad IPv6 address in \(text)") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            hostPort = hostPort[hostPort.index(after: close)...]
            if hostPort.hasPrefix(":") {
                explicitPort = Int(hostPort.dropFirst())
                if explicitPort == nil { throw Self.usage("bad port in \(text)") }
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            explicitPort = Int(hostPort[hostPort.index(after: colon)...])
            if explicitPort == nil { throw Self.usage("bad port in \(text)") }
        } else {
            host = String(hostPort)
        }
        guard !host.isEmpty else { throw Self.usage("\"\(text)\" names no host") }
        if let explicitPort, !(1...65535).contains(explicitPort) { throw Self.usage("bad port in \(text)") }
        port = explicitPort ?? (security == .implicitTLS ? 995 : 110)
    }

    public var description: String {
        let scheme = security == .implicitTLS ? "pop3s" : "pop3"
        let user = username.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? username
        let hostText = host.contains(":") ? "[\(host)]" : host
        let defaultPort = security == .implicitTLS ? 995 : 110
        return "\(scheme)://\(user)@\(hostText)\(port == defaultPort ? "" : ":\(port)")"
    }

    /// The canonical form for a checkpoint's job identity.
    public var jobKey: String {
        "\(security == .implicitTLS ? "pop3s" : "pop3")://\(username)@\(host.lowercased()):\(port)"
    }

    private static func usage(_ text: String) -> MailError {
        MailError(.invalidEndpoint, scope: .store, retry: .never, text)
    }
}
