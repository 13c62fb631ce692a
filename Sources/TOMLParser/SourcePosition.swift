/// A place in a TOML source: 1-based line and 1-based column, counted in UTF-8 bytes as
/// compilers do, so `file:line:column` lands on the spot in any editor that jumps to diagnostics.
public struct SourcePosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }

    public static func < (a: SourcePosition, b: SourcePosition) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }
}
