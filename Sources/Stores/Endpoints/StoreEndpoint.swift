import Foundation
import MailCore

/// Where mail is, as the user wrote it on the command line.
///
/// | form | meaning |
/// |------|---------|
/// | `maildir:PATH` | a Maildir tree (Maildir++ or fs layout) |
/// | `mbox:PATH` | one mbox file (`.gz` read and written compressed), or a directory of them |
///
/// `~/` at the start of a path is expanded. Network stores (IMAP, POP3) and archives arrive with
/// later versions; their schemes are recognised so the error can say so.
public enum StoreEndpoint: Sendable, Hashable, CustomStringConvertible {
    case maildir(path: String)
    case mbox(path: String)

    /// Parses an endpoint; throws an `invalid-endpoint` error (a usage error) that shows the forms.
    public init(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":") else {
            throw Self.usage("\"\(text)\" has no store type; write maildir:\(text) or mbox:\(text)")
        }
        let scheme = text[..<colon].lowercased()
        var rest = String(text[text.index(after: colon)...])
        if rest.hasPrefix("//") && (scheme == "maildir" || scheme == "mbox") { rest.removeFirst(2) }
        switch scheme {
        case "maildir", "mbox":
            guard !rest.isEmpty else { throw Self.usage("\"\(text)\" names no path") }
            let path = Self.expandTilde(rest)
            self = scheme == "maildir" ? .maildir(path: path) : .mbox(path: path)
        case "imap", "imaps", "pop3", "pop3s", "archive", "gmail":
            throw MailError(
                .unsupported, scope: .store, retry: .never,
                "\(scheme): endpoints are not available in this version of MailFerry (supported: maildir:, mbox:)")
        default:
            throw Self.usage("unknown store type \"\(scheme):\" in \"\(text)\" (supported: maildir:PATH, mbox:PATH)")
        }
    }

    public var description: String {
        switch self {
        case .maildir(let path): return "maildir:\(path)"
        case .mbox(let path): return "mbox:\(path)"
        }
    }

    /// The file-system path the endpoint names.
    public var path: String {
        switch self {
        case .maildir(let path), .mbox(let path): return path
        }
    }

    /// Whether two endpoints name the same place on disk, or one lies inside the other (copying
    /// a store into itself would read its own output).
    public func overlaps(_ other: StoreEndpoint) -> Bool {
        let a = Self.canonical(path)
        let b = Self.canonical(other.path)
        return a == b || a.hasPrefix(b + "/") || b.hasPrefix(a + "/")
    }

    private static func canonical(_ path: String) -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath()
        var text = url.path
        while text.count > 1 && text.hasSuffix("/") { text.removeLast() }
        return text
    }

    private static func usage(_ text: String) -> MailError {
        MailError(.invalidEndpoint, scope: .store, retry: .never, text)
    }

    static func expandTilde(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return home + path.dropFirst()
    }
}
