import ArgumentParser
import Engine
import MailCore

/// Explicit folder renames for `copy` and `verify` (the same map, so `verify` compares what
/// `copy` wrote). Names use `/` between levels.
struct FolderMapOptionGroup: ParsableArguments {
    @Option(
        name: .customLong("map"),
        help: ArgumentHelp("Copy folder OLD to NEW (repeatable; split at the last =): 'Sent Items=Sent'.", valueName: "old=new"))
    var maps: [String] = []

    @Option(
        name: .customLong("map-regex"),
        help: ArgumentHelp(
            "Rename folders whose whole name matches PATTERN to TEMPLATE, $1… being its groups (repeatable): '^INBOX/(.*)=$1'.",
            valueName: "pattern=template"))
    var regexMaps: [String] = []

    @Option(help: ArgumentHelp("Put every folder at the top level, joining its levels with SEP: Archive/2019 → Archive-2019.", valueName: "sep"))
    var flatten: String?

    @Option(help: ArgumentHelp("Put TEXT before the top-level name of every folder but INBOX: 'Old ' → Old Work/Projects.", valueName: "text"))
    var folderPrefix: String?

    @Option(help: ArgumentHelp("Put TEXT after the name of every folder but INBOX: ' (2019)' → Work/Projects (2019).", valueName: "text"))
    var folderSuffix: String?

    func validate() throws { _ = try folderMap() }

    /// The map, in the order given: `--map` rules first, then `--map-regex`.
    func folderMap() throws -> FolderMap {
        var rules: [FolderMap.Rule] = []
        for text in maps {
            guard let (old, new) = Self.split(text), let from = FolderPath(parsing: old, delimiter: "/"),
                let to = FolderPath(parsing: new, delimiter: "/")
            else { throw ValidationError("--map \"\(text)\" is not OLD=NEW with two folder names") }
            rules.append(.exact(from: from, to: to))
        }
        for text in regexMaps {
            guard let (pattern, template) = Self.split(text) else {
                throw ValidationError("--map-regex \"\(text)\" is not PATTERN=TEMPLATE")
            }
            do {
                rules.append(.pattern(try FolderMap.RegexRule(pattern: pattern, template: template)))
            } catch {
                throw ValidationError("--map-regex \"\(pattern)\" is not a regular expression: \(error)")
            }
        }
        if let flatten, flatten.isEmpty || flatten.contains("/") {
            throw ValidationError("--flatten needs a separator that is not / (for example - or _)")
        }
        for (name, text) in [("--folder-prefix", folderPrefix), ("--folder-suffix", folderSuffix)] {
            if let text, text.isEmpty || text.contains("/") || text.unicodeScalars.contains(where: { $0.value < 0x20 }) {
                throw ValidationError("\(name) needs text without / or control characters")
            }
        }
        return FolderMap(rules: rules, flattenSeparator: flatten, prefix: folderPrefix, suffix: folderSuffix)
    }

    /// The options as text for the checkpoint's job identity (a different map is another job).
    var identityText: String? {
        let parts = maps.map { "map:\($0)" } + regexMaps.map { "regex:\($0)" } + (flatten.map { ["flatten:\($0)"] } ?? [])
            + (folderPrefix.map { ["prefix:\($0)"] } ?? []) + (folderSuffix.map { ["suffix:\($0)"] } ?? [])
        return parts.isEmpty ? nil : parts.joined(separator: "\n")
    }

    private static func split(_ text: String) -> (String, String)? {
        guard let equals = text.lastIndex(of: "=") else { return nil }
        let left = String(text[..<equals])
        let right = String(text[text.index(after: equals)...])
        return left.isEmpty ? nil : (left, right)
    }
}
