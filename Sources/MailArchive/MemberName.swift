import MailCore

/// A member's path inside an archive, checked so that no use of it can leave a target directory:
/// relative, `/`-separated, without `.`/`..` or empty components, without NUL, and with a
/// backslash only as the start of a `\NN` escape (two hex digits: how Dovecot and MailFerry
/// spell a `.` or `/` inside a Maildir folder name, `.Clients.acme\2ecom`). Read as a Windows
/// separator, such a name must not climb either: no piece between slashes and backslashes is `..`.
public struct MemberName: Sendable, Hashable, CustomStringConvertible {
    /// The normalised path (no leading `./`, no trailing `/`).
    public let path: String

    /// Why a name was refused, for the error message.
    public enum Problem: String, Sendable, Hashable {
        case empty = "is empty"
        case absolute = "is an absolute path"
        case parentReference = "contains \"..\""
        case controlCharacter = "contains a control character"
        case backslash = "contains a backslash that is not a \\NN escape (a Windows path?)"
        case tooLong = "is too long"
    }

    /// Checks `raw`; on refusal returns the problem. A leading `./` and trailing `/` are dropped.
    public static func check(_ raw: String, maximumLength: Int = ArchiveLimits.standard.maximumNameLength) -> Result<
        MemberName, ProblemError
    > {
        guard raw.utf8.count <= maximumLength else { return .failure(ProblemError(problem: .tooLong)) }
        if raw.hasPrefix("/") { return .failure(ProblemError(problem: .absolute)) }
        if raw.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return .failure(ProblemError(problem: .controlCharacter)) }
        if !backslashesAreEscapes(raw) { return .failure(ProblemError(problem: .backslash)) }
        // A drive letter (C:) is absolute on Windows.
        let bytes = Array(raw.utf8)
        if bytes.count >= 2, bytes[1] == UInt8(ascii: ":"), (bytes[0] | 0x20) >= UInt8(ascii: "a"),
            (bytes[0] | 0x20) <= UInt8(ascii: "z")
        {
            return .failure(ProblemError(problem: .absolute))
        }
        var parts: [Substring] = []
        for part in raw.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." || part.split(separator: "\\").contains("..") {
                return .failure(ProblemError(problem: .parentReference))
            }
            parts.append(part)
        }
        guard !parts.isEmpty else { return .failure(ProblemError(problem: .empty)) }
        return .success(MemberName(path: parts.joined(separator: "/")))
    }

    /// Whether every backslash in `raw` starts a `\NN` escape (two hex digits).
    static func backslashesAreEscapes(_ raw: String) -> Bool {
        let bytes = Array(raw.utf8)
        var index = 0
        while let found = bytes[index...].firstIndex(of: UInt8(ascii: "\\")) {
            guard found + 2 < bytes.count, isHexDigit(bytes[found + 1]), isHexDigit(bytes[found + 2]) else { return false }
            index = found + 3
        }
        return true
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20)
    }

    /// `check` as a throwing call, with an `unsafe-archive` error naming the member and archive.
    public static func validated(_ raw: String, archive: String, maximumLength: Int) throws -> MemberName {
        switch check(raw, maximumLength: maximumLength) {
        case .success(let name): return name
        case .failure(let error):
            throw MailError(
                .unsafeArchive, scope: .store, retry: .never,
                "archive member \"\(printable(raw))\" \(error.problem.rawValue): refusing the archive", path: archive)
        }
    }

    /// The path's components.
    public var components: [Substring] { path.split(separator: "/") }
    /// The last component.
    public var fileName: Substring { components.last ?? Substring(path) }

    public var description: String { path }

    init(path: String) { self.path = path }

    public struct ProblemError: Error, Sendable, Hashable {
        public var problem: Problem
    }

    /// The name with control characters shown as `?`, for messages.
    static func printable(_ raw: String) -> String {
        String(String.UnicodeScalarView(raw.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }).prefix(300))
    }
}
