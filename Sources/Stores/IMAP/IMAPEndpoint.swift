import Foundation
import IMAPClient
import MailCore

/// `imaps://user@host[:port][/folder]` or `imap://user@host[:port][/folder]` (STARTTLS).
///
/// The user part is percent-decoded (`me%40example.com@imap.example.com`); a password in the URL
/// is refused. On a source, `/folder` selects that folder; on a destination it names the folder
/// that receives a single-folder source, or the parent of a copied tree.
public struct IMAPEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var security: IMAPConfiguration.Security
    public var username: String
    /// The folder path after the host, `/`-separated, if any.
    public var folder: FolderPath?

    public init(parsing text: String) throws {
        guard let schemeEnd = text.range(of: "://") else { throw Self.usage("\"\(text)\" is not an imap:// or imaps:// URL") }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        var rest = Substring(text[schemeEnd.upperBound...])
        switch scheme {
        case "imaps": security = .implicitTLS
        case "imap": security = .startTLS
        default: throw Self.usage("unknown scheme \(scheme)")
        }
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[rest.index(after: slash)...])
            rest = rest[..<slash]
        }
        guard let at = rest.lastIndex(of: "@") else {
            throw Self.usage("\"\(text)\" names no user: write \(scheme)://user@\(rest)")
        }
        let userInfo = rest[..<at]
        if userInfo.contains(":") {
            throw Self.usage(
                "a password in the URL would be visible to every user of this machine; "
                    + "use MAILFERRY_SOURCE_PASSWORD / MAILFERRY_DEST_PASSWORD, a password file or a password command")
        }
        guard let user = String(userInfo).removingPercentEncoding, !user.isEmpty else {
            throw Self.usage("\"\(text)\" names no user")
        }
        username = user
        var hostPort = rest[rest.index(after: at)...]
        var explicitPort: Int?
        if hostPort.hasPrefix("[") {  // [IPv6]:port
            guard let close = hostPort.firstIndex(of: "]") else { throw Self.usage("bad IPv6 address in \(text)") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            hostPort = hostPort[hostPort.index(after: close)...]
            if hostPort.hasPrefix(":") { explicitPort = Int(hostPort.dropFirst()) }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            explicitPort = Int(hostPort[hostPort.index(after: colon)...])
            if explicitPort == nil { throw Self.usage("bad port in \(text)") }
        } else {
            host = String(hostPort)
        }
        guard !host.isEmpty else { throw Self.usage("\"\(text)\" names no host") }
        port = explicitPort ?? (security == .implicitTLS ? 993 : 143)
        let decodedPath = path.removingPercentEncoding ?? path
        folder = decodedPath.isEmpty ? nil : FolderPath(parsing: decodedPath.hasSuffix("/") ? String(decodedPath.dropLast()) : decodedPath, delimiter: "/")
    }

    public var description: String {
        let scheme = security == .implicitTLS ? "imaps" : "imap"
        let user = username.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? username
        let hostText = host.contains(":") ? "[\(host)]" : host
        let defaultPort = security == .implicitTLS ? 993 : 143
        return "\(scheme)://\(user)@\(hostText)\(port == defaultPort ? "" : ":\(port)")\(folder.map { "/\($0.displayName)" } ?? "")"
    }

    private static func usage(_ text: String) -> MailError {
        MailError(.invalidEndpoint, scope: .store, retry: .never, text)
    }
}
