import Foundation
import MailCore

/// Where mail is, as the user wrote it on the command line.
///
/// | form | meaning |
/// |------|---------|
/// | `maildir:PATH` | a Maildir tree (Maildir++ or fs layout) |
/// | `mbox:PATH` | one mbox file (`.gz` read and written compressed), or a directory of them |
/// | `imaps://user@host[:port][/folder]` | an IMAP account over TLS |
/// | `imap://user@host[:port][/folder]` | an IMAP account with STARTTLS (required) |
/// | `pop3s://user@host[:port]` | a POP3 account over TLS (source only) |
/// | `pop3://user@host[:port]` | a POP3 account with STLS (required; source only) |
/// | `archive:PATH` | an archive file (`.tar.zst`, `.tar.gz`, `.tar.xz`, `.tar.bz2`, `.tar`, `.zip`) |
///
/// `~/` at the start of a path is expanded.
public enum StoreEndpoint: Sendable, Hashable, CustomStringConvertible {
    case maildir(path: String)
    case mbox(path: String)
    case imap(IMAPEndpoint)
    case pop3(POP3Endpoint)
    case archive(path: String)

    /// Parses an endpoint; throws an `invalid-endpoint` error (a usage error) that shows the forms.
    public init(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":") else {
            throw Self.usage("\"\(text)\" has no store type; write maildir:\(text) or mbox:\(text)")
        }
        let scheme = text[..<colon].lowercased()
        var rest = String(text[text.index(after: colon)...])
        if rest.hasPrefix("//") && (scheme == "maildir" || scheme == "mbox" || scheme == "archive") { rest.removeFirst(2) }
        switch scheme {
        case "maildir", "mbox", "archive":
            guard !rest.isEmpty else { throw Self.usage("\"\(text)\" names no path") }
            let path = Self.expandTilde(rest)
            switch scheme {
            case "maildir": self = .maildir(path: path)
            case "mbox": self = .mbox(path: path)
            default: self = .archive(path: path)
            }
        case "imap", "imaps":
            self = .imap(try IMAPEndpoint(parsing: text))
        case "pop3", "pop3s":
            self = .pop3(try POP3Endpoint(parsing: text))
        default:
            throw Self.usage(
                "unknown store type \"\(scheme):\" in \"\(text)\" (supported: maildir:PATH, mbox:PATH, archive:FILE, imaps://user@host, imap://user@host, pop3s://user@host, pop3://user@host, and PROFILE://user for a provider profile)")
        }
    }

    public var description: String {
        switch self {
        case .maildir(let path): return "maildir:\(path)"
        case .mbox(let path): return "mbox:\(path)"
        case .imap(let endpoint): return endpoint.description
        case .pop3(let endpoint): return endpoint.description
        case .archive(let path): return "archive:\(path)"
        }
    }

    /// The endpoint in a canonical form for a checkpoint's job identity: absolute paths, lower-case
    /// host names, explicit ports. Never holds a secret.
    public var jobKey: String {
        switch self {
        case .maildir(let path): return "maildir:\(Self.canonical(path))"
        case .mbox(let path): return "mbox:\(Self.canonical(path))"
        case .imap(let endpoint):
            let scheme = endpoint.security == .implicitTLS ? "imaps" : "imap"
            let folder = endpoint.folder.map { "/" + $0.components.joined(separator: "/") } ?? ""
            return "\(scheme)://\(endpoint.username)@\(endpoint.host.lowercased()):\(endpoint.port)\(folder)"
        case .pop3(let endpoint): return endpoint.jobKey
        case .archive(let path): return "archive:\(Self.canonical(path))"
        }
    }

    /// The file-system path a local endpoint names.
    public var path: String? {
        switch self {
        case .maildir(let path), .mbox(let path), .archive(let path): return path
        case .imap, .pop3: return nil
        }
    }

    /// The folder named in the endpoint (the `/folder` of an IMAP URL).
    public var folder: FolderPath? {
        if case .imap(let endpoint) = self { return endpoint.folder }
        return nil
    }

    /// Whether two endpoints name the same place (on disk, one inside the other; or the same
    /// account on the same server): copying a store into itself would read its own output.
    public func overlaps(_ other: StoreEndpoint) -> Bool {
        switch (self, other) {
        case (.pop3, _), (_, .pop3):
            return false  // a POP3 account is only ever a source
        case (.imap(let a), .imap(let b)):
            return a.host.lowercased() == b.host.lowercased() && a.port == b.port && a.username == b.username
                && (a.folder == nil || b.folder == nil || a.folder == b.folder || a.folder!.isAncestor(of: b.folder!)
                    || b.folder!.isAncestor(of: a.folder!))
        default:
            guard let mine = path, let theirs = other.path else { return false }
            let a = Self.canonical(mine)
            let b = Self.canonical(theirs)
            return a == b || a.hasPrefix(b + "/") || b.hasPrefix(a + "/")
        }
    }

    /// `path` made absolute, with symbolic links resolved (for comparing places on disk).
    public static func canonicalPath(_ path: String) -> String { canonical(path) }

    static func canonical(_ path: String) -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath()
        var text = url.path
        while text.count > 1 && text.hasSuffix("/") { text.removeLast() }
        return text
    }

    private static func usage(_ text: String) -> MailError {
        MailError(.invalidEndpoint, scope: .store, retry: .never, text)
    }

    public static func expandTilde(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return home + path.dropFirst()
    }
}
