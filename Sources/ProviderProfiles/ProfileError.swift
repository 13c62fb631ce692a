import TOMLParser

/// A profile that cannot be used, with the file, the place in it and what to change.
///
/// `description` is `file:line:column: message`; `diagnostic` is the compiler form
/// `file:line:column: error: message` that Xcode and SwiftPM turn into clickable errors.
public struct ProfileError: Error, Sendable, Equatable, CustomStringConvertible {
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

    /// The same error from the TOML layer (syntax, limits).
    public init(_ error: TOMLError) {
        self.init(file: error.file, line: error.line, column: error.column, message: error.message)
    }

    public var description: String { "\(file):\(line):\(column): \(message)" }
    public var diagnostic: String { "\(file):\(line):\(column): error: \(message)" }
}
