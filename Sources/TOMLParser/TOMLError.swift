/// A TOML document that cannot be read, with the place and a message that says how to fix it.
///
/// `description` is `file:line:column: message`, the form editors and build logs link to.
public struct TOMLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file name the caller passed to the parser (used only in messages).
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public init(file: String, at position: SourcePosition, _ message: String) {
        self.init(file: file, line: position.line, column: position.column, message: message)
    }

    public var position: SourcePosition { SourcePosition(line: line, column: column) }

    public var description: String { "\(file):\(line):\(column): \(message)" }
}
