import MailCore

/// How an archive file is packed: a tar stream under one compression, or a zip file.
public enum ArchiveFormat: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case tarZstd = "tar.zst"
    case tarGzip = "tar.gz"
    case tarXz = "tar.xz"
    case tarBzip2 = "tar.bz2"
    case tar = "tar"
    case zip = "zip"

    /// The format a file name asks for (`.tar.zst`, `.tzst`, `.tar.gz`, `.tgz`, `.tar.xz`, `.txz`,
    /// `.tar.bz2`, `.tbz2`, `.tar`, `.zip`), or `nil`.
    public init?(fileName: String) {
        let name = fileName.lowercased()
        let table: [(String, ArchiveFormat)] = [
            (".tar.zst", .tarZstd), (".tzst", .tarZstd), (".tar.gz", .tarGzip), (".tgz", .tarGzip),
            (".tar.xz", .tarXz), (".txz", .tarXz), (".tar.bz2", .tarBzip2), (".tbz2", .tarBzip2), (".tbz", .tarBzip2),
            (".tar", .tar), (".zip", .zip),
        ]
        guard let match = table.first(where: { name.hasSuffix($0.0) }) else { return nil }
        self = match.1
    }

    /// Parses an option value (`zst`, `zstd`, `tar.zst`, `gz`, `gzip`, `xz`, `bz2`, `bzip2`, `tar`, `zip`).
    public init?(option: String) {
        switch option.lowercased() {
        case "zst", "zstd", "tar.zst", "tzst": self = .tarZstd
        case "gz", "gzip", "tar.gz", "tgz": self = .tarGzip
        case "xz", "tar.xz", "txz": self = .tarXz
        case "bz2", "bzip2", "tar.bz2", "tbz2": self = .tarBzip2
        case "tar": self = .tar
        case "zip": self = .zip
        default: return nil
        }
    }

    /// The usual file name extension, without the dot.
    public var fileExtension: String { rawValue }

    public var description: String { rawValue }

    /// The format named by `path`'s extension, or a usage error listing the known ones.
    public static func from(path: String) throws -> ArchiveFormat {
        guard let format = ArchiveFormat(fileName: path) else {
            throw MailError(
                .invalidEndpoint, scope: .store, retry: .never,
                "cannot tell the archive format of \"\(path)\": name it .tar.zst, .tar.gz, .tgz, .tar.xz, .tar.bz2, .tar or .zip")
        }
        return format
    }
}
