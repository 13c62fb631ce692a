import MailCore

/// Which folders a copy reads and where each lands.
public struct CopyPlan: Sendable {
    /// One source folder and its destination.
    public struct Entry: Sendable {
        public var source: FolderInfo
        public var destination: FolderPath
    }

    public var entries: [Entry]
    /// Things the user should know about the mapping (flattening, merging).
    public var notes: [String]
    /// Selected folders the plan leaves out, each with its reason (see ``SkippedFolder``).
    public var skipped: [SkippedFolder] = []
}

/// Folder selection and mapping, the same for dry runs and real runs.
public struct CopyPlanner: Sendable {
    /// Only folders matching one of these (all folders when empty).
    public var include: [FolderPattern] = []
    /// Never folders matching one of these (the user's `--exclude`: not reported as skipped).
    public var exclude: [FolderPattern] = []
    /// Selected folders left out all the same (a profile's skip list); each is listed in the
    /// plan's ``CopyPlan/skipped`` and so in the report.
    public var skip: [FolderSkipRule] = []
    /// Destination for a single-folder source, or the parent under which a tree is placed.
    public var toFolder: FolderPath?
    /// Copy only this source folder (named in the source's URL); it then counts as a single folder.
    public var onlyFolder: FolderPath?
    /// Explicit renames and flattening, applied before the rules below.
    public var map: FolderMap
    /// Roles of folders by name (`/` between levels, any case), for servers without SPECIAL-USE:
    /// a provider profile's special folders. A role the server announces wins.
    public var sourceRoles: [String: SpecialUse] = [:]
    public var sinkRoles: [String: SpecialUse] = [:]

    public init(
        include: [FolderPattern] = [], exclude: [FolderPattern] = [], toFolder: FolderPath? = nil,
        onlyFolder: FolderPath? = nil, map: FolderMap = FolderMap()
    ) {
        self.include = include
        self.exclude = exclude
        self.toFolder = toFolder
        self.onlyFolder = onlyFolder
        self.map = map
    }

    /// Maps the source's folders into the sink:
    /// - a folder an explicit ``FolderMap`` rule matches goes where the rule says;
    /// - a sink with one folder (an mbox file) receives everything (the plan notes the flattening);
    /// - a single-folder source (an mbox file) goes to `toFolder`, else INBOX;
    /// - a tree keeps its shape, under `toFolder` when given;
    /// - without `toFolder`, a folder with a special-use role goes to the sink's folder with the
    ///   same role, whatever each is called (the source's `Sent Items` into the sink's `Sent`),
    ///   and its sub-folders follow it.
    public func plan(
        sourceFolders: [FolderInfo], sourceCapabilities: StoreCapabilities, sinkFolders: [FolderInfo] = [],
        sinkCapabilities: StoreCapabilities
    ) -> CopyPlan {
        let sourceFolders = Self.assigning(sourceRoles, to: sourceFolders)
        let sinkFolders = Self.assigning(sinkRoles, to: sinkFolders)
        var skipped: [SkippedFolder] = []
        let selected = sourceFolders.filter { folder in
            guard folder.isSelectable && (include.isEmpty || include.contains { $0.matches(folder.path) })
                && !exclude.contains { $0.matches(folder.path) } && (onlyFolder == nil || folder.path == onlyFolder)
            else { return false }
            if let rule = skip.first(where: { $0.pattern.matches(folder.path) }) {
                skipped.append(SkippedFolder(folder: folder.path.displayName, reason: rule.reason))
                return false
            }
            return true
        }
        var sourceCapabilities = sourceCapabilities
        if onlyFolder != nil { sourceCapabilities.hierarchy = .single }
        var notes: [String] = []
        // Role → the sink's folder with that role, and the source folders being renamed to it.
        var sinkByRole: [SpecialUse: FolderPath] = [:]
        for folder in sinkFolders {
            if let role = folder.path.role, sinkByRole[role] == nil { sinkByRole[role] = folder.path }
        }
        var renamed: [(from: FolderPath, to: FolderPath)] = []
        if toFolder == nil && sinkCapabilities.hierarchy == .tree && sourceCapabilities.hierarchy == .tree {
            for folder in selected {
                guard let role = folder.path.role, let target = sinkByRole[role], target != folder.path,
                    !folder.path.isInbox, !renamed.contains(where: { $0.to == target })
                else { continue }
                renamed.append((folder.path, target))
                notes.append("\(folder.path.displayName) (\(role.attribute)) goes to \(target.displayName), the destination's \(role.attribute) folder")
            }
        }
        let entries: [CopyPlan.Entry] = selected.map { folder in
            var destination: FolderPath
            if sinkCapabilities.hierarchy != .single, let mapped = map.destination(for: folder.path) {
                destination = mapped
            } else if sinkCapabilities.hierarchy == .single {
                destination = .inbox
            } else if sourceCapabilities.hierarchy == .single {
                destination = toFolder ?? .inbox
            } else if let toFolder {
                destination = folder.path.prefixed(by: toFolder)
            } else if let rename = renamed.first(where: { $0.from == folder.path || $0.from.isAncestor(of: folder.path) }) {
                destination = FolderPath(rename.to.components + folder.path.components.dropFirst(rename.from.components.count))!
            } else {
                destination = folder.path
            }
            if sinkCapabilities.hierarchy != .single && map.destination(for: folder.path) == nil {
                destination = map.decorated(map.flattened(destination))
            }
            if destination.role == nil { destination.role = folder.path.role }
            return CopyPlan.Entry(source: folder, destination: destination)
        }
        if sinkCapabilities.hierarchy == .single && entries.count > 1 {
            notes.append("the destination holds one folder: \(entries.count) source folders were copied into it flat")
        }
        var seen: [FolderPath: Int] = [:]
        for entry in entries { seen[entry.destination, default: 0] += 1 }
        if sinkCapabilities.hierarchy != .single {
            for (destination, count) in seen where count > 1 {
                notes.append("\(count) source folders were merged into \(destination.displayName)")
            }
        }
        return CopyPlan(entries: entries, notes: notes, skipped: skipped)
    }

    /// `folders` with `roles` given to those the store gave none.
    static func assigning(_ roles: [String: SpecialUse], to folders: [FolderInfo]) -> [FolderInfo] {
        guard !roles.isEmpty else { return folders }
        let byName = Dictionary(roles.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        let taken = Set(folders.compactMap(\.path.role))
        return folders.map { folder in
            guard folder.path.role == nil, let role = byName[folder.path.components.joined(separator: "/").lowercased()],
                !taken.contains(role)
            else { return folder }
            var named = folder
            named.path.role = role
            return named
        }
    }
}
