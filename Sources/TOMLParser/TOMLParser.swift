/// Reads TOML 1.0 documents into `TOMLTable`s whose every key and value knows its source position.
///
/// Supported: comments; bare, quoted and dotted keys; basic and literal strings, single- and
/// multi-line, with every TOML 1.0 escape; decimal, hex, octal and binary integers with
/// underscores; floats (incl. `inf`, `nan`); booleans; arrays (multi-line, trailing comma);
/// inline tables; `[tables]` and `[[arrays of tables]]`. Dates and times are validated and kept
/// as text (`TOMLDateTime`). Duplicate keys and tables are errors, as are inputs beyond `limits`.
///
/// The parser is written to be fed arbitrary bytes (fuzzing, user files): every failure is a
/// `TOMLError`, never a trap, and recursion is bounded by `TOMLLimits.maxDepth`.
public struct TOMLParser: Sendable {
    public var limits: TOMLLimits

    public init(limits: TOMLLimits = .default) {
        self.limits = limits
    }

    /// Parses `text`; `file` is used only in error messages.
    public func parse(_ text: String, file: String = "<input>") throws(TOMLError) -> TOMLTable {
        try parse(bytes: Array(text.utf8), file: file)
    }

    /// Parses raw bytes, which must be UTF-8 (a leading byte-order mark is skipped).
    public func parse(bytes: [UInt8], file: String = "<input>") throws(TOMLError) -> TOMLTable {
        var reader = TOMLReader(bytes: bytes, file: file, limits: limits)
        return try reader.document()
    }
}
