/// Caps that keep reading a hostile or broken archive from exhausting memory, disk or time.
/// Every cap is checked while the archive streams; exceeding one stops the read with an
/// `unsafe-archive` error that names the member.
public struct ArchiveLimits: Sendable, Hashable {
    /// Most members (files and directories).
    public var maximumEntries = 10_000_000
    /// Largest single member, uncompressed.
    public var maximumEntrySize = 1 << 30
    /// Most bytes of all members together, uncompressed.
    public var maximumTotalBytes = 1 << 40
    /// Highest ratio of uncompressed bytes to archive bytes read so far …
    public var maximumCompressionRatio = 1_000
    /// … once more than this many uncompressed bytes were read (small archives of empty
    /// messages compress far beyond any ratio and are harmless).
    public var ratioAllowance = 64 << 20
    /// Longest member name, in bytes.
    public var maximumNameLength = 4_096

    public init() {}

    public static let standard = ArchiveLimits()

    /// For reading back a volume this process just wrote: its content is the user's own mail,
    /// so size and ratio caps (meant for archives from elsewhere) do not apply; names, links
    /// and repeats are still checked.
    public static let readBack: ArchiveLimits = {
        var limits = ArchiveLimits()
        limits.maximumEntrySize = Int.max
        limits.maximumTotalBytes = Int.max
        limits.maximumCompressionRatio = Int.max
        return limits
    }()
}
