/// A TOML table: keys in source order, each with the position of the key itself (for "unknown key"
/// messages) and its value (which carries the value's position).
public struct TOMLTable: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var keyPosition: SourcePosition
        public var value: TOMLValue

        public init(key: String, keyPosition: SourcePosition, value: TOMLValue) {
            self.key = key
            self.keyPosition = keyPosition
            self.value = value
        }
    }

    /// The entries in the order they first appeared.
    public private(set) var entries: [Entry]
    private var index: [String: Int]

    public init(_ entries: [Entry] = []) {
        self.entries = []
        self.index = [:]
        for entry in entries { insert(entry) }
    }

    /// Adds or replaces the entry for `entry.key`.
    public mutating func insert(_ entry: Entry) {
        if let at = index[entry.key] {
            entries[at] = entry
        } else {
            index[entry.key] = entries.count
            entries.append(entry)
        }
    }

    /// The keys in source order.
    public var keys: [String] { entries.map(\.key) }
    public var isEmpty: Bool { entries.isEmpty }

    /// The entry for `key` (with the key's own position), if present.
    public func entry(_ key: String) -> Entry? { index[key].map { entries[$0] } }
    /// The value for `key`, if present.
    public subscript(key: String) -> TOMLValue? { entry(key)?.value }

    public static func == (a: TOMLTable, b: TOMLTable) -> Bool { a.entries == b.entries }
}
