import TOMLParser

/// A profile that cannot be used, with the file, the place in it and what to change: the TOML
/// reader's own error type, so syntax errors and schema errors look and print alike.
///
/// `description` is `file:line:column: message`; `diagnostic` is the compiler form
/// `file:line:column: error: message` that Xcode and SwiftPM turn into clickable errors.
public typealias ProfileError = TOMLError

extension TOMLError {
    public var diagnostic: String { "\(file):\(line):\(column): error: \(message)" }
}
