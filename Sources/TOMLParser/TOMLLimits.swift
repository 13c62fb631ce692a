/// Bounds the parser enforces so that hostile or broken input costs little memory and no stack:
/// each one, when exceeded, is a `TOMLError` at the offending place rather than a crash.
public struct TOMLLimits: Sendable, Equatable {
    /// Largest document, in bytes.
    public var maxInputBytes: Int
    /// Longest physical line, in bytes (without its line break).
    public var maxLineBytes: Int
    /// Deepest nesting of arrays, inline tables and dotted key segments.
    public var maxDepth: Int
    /// Longest string value or key after unescaping, in UTF-8 bytes.
    public var maxStringBytes: Int

    public init(maxInputBytes: Int, maxLineBytes: Int, maxDepth: Int, maxStringBytes: Int) {
        self.maxInputBytes = maxInputBytes
        self.maxLineBytes = maxLineBytes
        self.maxDepth = maxDepth
        self.maxStringBytes = maxStringBytes
    }

    /// Generous for configuration files: 1 MiB, 8 KiB lines, depth 32, 64 KiB strings.
    public static let `default` = TOMLLimits(
        maxInputBytes: 1 << 20, maxLineBytes: 8 << 10, maxDepth: 32, maxStringBytes: 64 << 10)
}
