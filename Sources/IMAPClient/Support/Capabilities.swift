/// The capabilities a server announced, compared case-insensitively.
public struct Capabilities: Sendable, Hashable, CustomStringConvertible {
    public private(set) var names: Set<String>

    public init(_ names: [String] = []) { self.names = Set(names.map { $0.uppercased() }) }

    public func contains(_ name: String) -> Bool { names.contains(name.uppercased()) }

    /// Mechanisms from `AUTH=…` entries.
    public var authMechanisms: [String] {
        names.filter { $0.hasPrefix("AUTH=") }.map { String($0.dropFirst(5)) }.sorted()
    }

    /// The value of `NAME=value` (e.g. `APPENDLIMIT=35651584`), or `nil`.
    public func value(of name: String) -> String? {
        let prefix = name.uppercased() + "="
        return names.first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    public var description: String { names.sorted().joined(separator: " ") }
}
