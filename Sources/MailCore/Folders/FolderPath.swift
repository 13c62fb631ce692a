/// A folder's place in a mailbox hierarchy, as Unicode name components.
///
/// Stores differ in how they spell hierarchy (`/` or `.` delimiters, `Name.sbd/` directories,
/// Maildir++ dot-prefixed names, modified UTF-7); a `FolderPath` is the neutral form between them.
/// The first component `INBOX` is case-insensitive (RFC 3501 §5.1) and always stored upper-case.
/// Equality and hashing consider the components only, not the ``role``.
public struct FolderPath: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// Name components from the top of the hierarchy down; never empty strings.
    public let components: [String]
    /// The folder's special-use role (Sent, Trash, …) when the store knows or guessed it.
    public var role: SpecialUse?

    /// The INBOX, which every store has and local stores keep at their root.
    public static let inbox = FolderPath(uncheckedComponents: ["INBOX"])

    /// Creates a path; returns `nil` when `components` is empty or contains an empty name.
    public init?(_ components: [String], role: SpecialUse? = nil) {
        guard !components.isEmpty, !components.contains(where: \.isEmpty) else { return nil }
        self.init(uncheckedComponents: components, role: role)
    }

    private init(uncheckedComponents components: [String], role: SpecialUse? = nil) {
        var normalized = components
        if normalized[0].uppercased() == "INBOX" { normalized[0] = "INBOX" }
        self.components = normalized
        self.role = role
    }

    /// Splits a server- or user-supplied name at `delimiter` (`nil` means a flat name).
    /// Returns `nil` for an empty name or one with empty components (`a//b`).
    public init?(parsing name: String, delimiter: Character?, role: SpecialUse? = nil) {
        guard let delimiter else {
            self.init([name], role: role)
            return
        }
        self.init(name.split(separator: delimiter, omittingEmptySubsequences: false).map(String.init), role: role)
    }

    /// Whether this is the INBOX itself (not a child of it).
    public var isInbox: Bool { components == ["INBOX"] }

    /// The last component, e.g. `2021` for `Archive/2021`.
    public var name: String { components[components.count - 1] }

    /// The enclosing folder, or `nil` at the top level.
    public var parent: FolderPath? {
        components.count > 1 ? FolderPath(uncheckedComponents: Array(components.dropLast())) : nil
    }

    /// A child of this folder.
    public func appending(_ component: String) -> FolderPath? {
        FolderPath(components + [component])
    }

    /// This path placed under `prefix` (`Imported` + `Archive/2021` → `Imported/Archive/2021`).
    public func prefixed(by prefix: FolderPath) -> FolderPath {
        FolderPath(uncheckedComponents: prefix.components + components, role: role)
    }

    /// Whether `other` is this folder or lies below it.
    public func isAncestor(of other: FolderPath) -> Bool {
        other.components.count > components.count && Array(other.components.prefix(components.count)) == components
    }

    /// The name as a server with hierarchy delimiter `delimiter` spells it, or `nil` when a component
    /// contains the delimiter and so cannot be represented.
    public func rendered(delimiter: Character) -> String? {
        guard !components.contains(where: { $0.contains(delimiter) }) else { return nil }
        return components.joined(separator: String(delimiter))
    }

    /// `/`-separated, for people: `Archive/2021`. A `/` inside a component shows as `\/`.
    public var displayName: String {
        components.map { $0.replacingOccurrences(of: "/", with: "\\/") }.joined(separator: "/")
    }

    public var description: String { displayName }

    public static func == (lhs: FolderPath, rhs: FolderPath) -> Bool { lhs.components == rhs.components }

    public func hash(into hasher: inout Hasher) { hasher.combine(components) }

    /// INBOX first, then by components.
    public static func < (lhs: FolderPath, rhs: FolderPath) -> Bool {
        if lhs.components.first == "INBOX" && rhs.components.first != "INBOX" { return true }
        if rhs.components.first == "INBOX" && lhs.components.first != "INBOX" { return false }
        return lhs.components.lexicographicallyPrecedes(rhs.components)
    }

    private enum CodingKeys: String, CodingKey { case components, role }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let components = try container.decode([String].self, forKey: .components)
        guard let path = FolderPath(components, role: try container.decodeIfPresent(SpecialUse.self, forKey: .role))
        else {
            throw DecodingError.dataCorruptedError(
                forKey: .components, in: container, debugDescription: "empty folder name component")
        }
        self = path
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(components, forKey: .components)
        try container.encodeIfPresent(role, forKey: .role)
    }
}
