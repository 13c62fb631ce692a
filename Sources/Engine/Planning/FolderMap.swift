import MailCore

/// Explicit folder renames (`--map 'Old Name=New/Name'`, `--map-regex '^INBOX/(.*)=$1'`,
/// `--flatten -`), applied in the order given; the first rule that matches a source folder
/// decides its destination, exactly, with no `--to-folder` prefix or special-use renaming.
/// Names are matched with `/` between levels, whatever delimiter the store uses.
public struct FolderMap: Sendable {
    public enum Rule: Sendable {
        /// This folder (not its sub-folders) goes to that one.
        case exact(from: FolderPath, to: FolderPath)
        /// A folder whose whole name matches the pattern goes to the template, where `$1`…`$9`
        /// are the pattern's groups.
        case pattern(RegexRule)
    }

    /// A compiled `--map-regex`.
    public struct RegexRule: @unchecked Sendable {
        // Regex<AnyRegexOutput> is immutable after compiling; it is only read.
        let regex: Regex<AnyRegexOutput>
        public let source: String
        public let template: String

        public init(pattern: String, template: String) throws {
            regex = try Regex(pattern)
            source = pattern
            self.template = template
        }

        func apply(to name: String) -> String? {
            guard let match = try? regex.wholeMatch(in: name) else { return nil }
            var result = ""
            var characters = template.makeIterator()
            while let character = characters.next() {
                guard character == "$" else {
                    result.append(character)
                    continue
                }
                guard let digit = characters.next() else {
                    result.append("$")
                    break
                }
                if let index = digit.wholeNumberValue {
                    // A group the pattern does not have, or one that did not take part, is empty.
                    if index < match.output.count { result += match.output[index].substring.map(String.init) ?? "" }
                } else {
                    result.append("$")
                    result.append(digit)
                }
            }
            return result
        }
    }

    public var rules: [Rule]
    /// Join every level into one folder name with this separator (`Archive/2019` → `Archive-2019`).
    public var flattenSeparator: String?

    /// Text put before the top-level name of every folder but INBOX (`--folder-prefix 'Old '`).
    public var prefix: String?
    /// Text put after the last level's name of every folder but INBOX (`--folder-suffix ' (2019)'`).
    public var suffix: String?

    public init(rules: [Rule] = [], flattenSeparator: String? = nil, prefix: String? = nil, suffix: String? = nil) {
        self.rules = rules
        self.flattenSeparator = flattenSeparator
        self.prefix = prefix
        self.suffix = suffix
    }

    public var isEmpty: Bool { rules.isEmpty && flattenSeparator == nil && prefix == nil && suffix == nil }

    /// Where `folder` goes under an explicit rule; `nil` when no rule matches (the planner's
    /// usual mapping applies). A rule whose result is no folder name (empty levels) is skipped.
    public func destination(for folder: FolderPath) -> FolderPath? {
        let name = folder.components.joined(separator: "/")
        for rule in rules {
            switch rule {
            case .exact(let from, let to) where from == folder:
                return to
            case .pattern(let pattern):
                if let mapped = pattern.apply(to: name), let path = FolderPath(parsing: mapped, delimiter: "/") {
                    return path
                }
            default:
                continue
            }
        }
        return nil
    }

    /// `path` as one level, when flattening.
    public func flattened(_ path: FolderPath) -> FolderPath {
        guard let separator = flattenSeparator, path.components.count > 1 else { return path }
        return FolderPath([path.components.joined(separator: separator)]) ?? path
    }

    /// `path` with the prefix and suffix added (INBOX keeps its name: it is the account's inbox).
    public func decorated(_ path: FolderPath) -> FolderPath {
        guard prefix != nil || suffix != nil, !path.isInbox, var components = Optional(path.components), !components.isEmpty
        else { return path }
        components[0] = (prefix ?? "") + components[0]
        components[components.count - 1] += suffix ?? ""
        guard var decorated = FolderPath(components) else { return path }
        decorated.role = path.role
        return decorated
    }
}
