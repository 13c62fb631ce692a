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
}

/// Folder selection and mapping, the same for dry runs and real runs.
public struct CopyPlanner: Sendable {
    /// Only folders matching one of these (all folders when empty).
    public var include: [FolderPattern] = []
    /// Never folders matching one of these.
    public var exclude: [FolderPattern] = []
    /// Destination for a single-folder source, or the parent under which a tree is placed.
    public var toFolder: FolderPath?

    public init(include: [FolderPattern] = [], exclude: [FolderPattern] = [], toFolder: FolderPath? = nil) {
        self.include = include
        self.exclude = exclude
        self.toFolder = toFolder
    }

    /// Maps the source's folders into the sink:
    /// - a sink with one folder (an mbox file) receives everything (the plan notes the flattening);
    /// - a single-folder source (an mbox file) goes to `toFolder`, else INBOX;
    /// - a tree keeps its shape, under `toFolder` when given.
    public func plan(
        sourceFolders: [FolderInfo], sourceCapabilities: StoreCapabilities, sinkCapabilities: StoreCapabilities
    ) -> CopyPlan {
        let selected = sourceFolders.filter { folder in
            folder.isSelectable && (include.isEmpty || include.contains { $0.matches(folder.path) })
                && !exclude.contains { $0.matches(folder.path) }
        }
        var notes: [String] = []
        let entries: [CopyPlan.Entry] = selected.map { folder in
            var destination: FolderPath
            if sinkCapabilities.hierarchy == .single {
                destination = .inbox
            } else if sourceCapabilities.hierarchy == .single {
                destination = toFolder ?? .inbox
            } else if let toFolder {
                destination = folder.path.prefixed(by: toFolder)
            } else {
                destination = folder.path
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
        return CopyPlan(entries: entries, notes: notes)
    }
}
