/// Folder knowledge for servers that do not say it themselves (no SPECIAL-USE) or that need care.
public struct FolderHints: Sendable, Equatable {
    /// Folder names by role, used when the server lacks SPECIAL-USE.
    public var special: [SpecialFolderRole: String]
    /// Folders not to copy as sources when labels are handled (Gmail's virtual folders).
    public var skip: [String]
    /// Names the server refuses to create (Office 365's `Files`).
    public var reserved: [String]
    /// Hierarchy separator hint (`/`, `.`), when known.
    public var separator: String?
    /// The server has Gmail labels (X-GM-EXT-1).
    public var labels: Bool

    public init(
        special: [SpecialFolderRole: String] = [:], skip: [String] = [], reserved: [String] = [], separator: String? = nil,
        labels: Bool = false
    ) {
        self.special = special
        self.skip = skip
        self.reserved = reserved
        self.separator = separator
        self.labels = labels
    }
}

/// Roles a special folder can play (RFC 6154 names plus Gmail's Important).
public enum SpecialFolderRole: String, Sendable, CaseIterable, Comparable {
    case sent, drafts, trash, junk, archive, all, flagged, important

    public static func < (a: SpecialFolderRole, b: SpecialFolderRole) -> Bool {
        allCases.firstIndex(of: a) ?? 0 < allCases.firstIndex(of: b) ?? 0
    }
}
