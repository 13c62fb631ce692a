/// One TOML value and where it starts in the source, so callers can point at it in messages.
public struct TOMLValue: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case string(String)
        case integer(Int64)
        case float(Double)
        case boolean(Bool)
        /// Dates and times are kept as their source text (validated, not converted): nothing in a
        /// configuration file needs calendar arithmetic, and the text round-trips exactly.
        case dateTime(TOMLDateTime)
        case array([TOMLValue])
        case table(TOMLTable)
    }

    public var kind: Kind
    /// Where the value starts (for a table: its `[header]`, or its key when made by dotted keys).
    public var position: SourcePosition

    public init(_ kind: Kind, at position: SourcePosition) {
        self.kind = kind
        self.position = position
    }

    /// A short name of the value's type for messages: "string", "integer", "table", ….
    public var typeName: String {
        switch kind {
        case .string: "string"
        case .integer: "integer"
        case .float: "float"
        case .boolean: "boolean"
        case .dateTime(let value): value.kind.rawValue
        case .array: "array"
        case .table: "table"
        }
    }

    /// `typeName` with its article, for messages: "an integer", "a string".
    public var typeNameWithArticle: String {
        let name = typeName
        return (name.first.map { "aeiou".contains($0) } == true ? "an " : "a ") + name
    }

    // The payload when the value has that type, nil otherwise: `value.integer ?? fallback`.
    public var string: String? { if case .string(let v) = kind { v } else { nil } }
    public var integer: Int64? { if case .integer(let v) = kind { v } else { nil } }
    public var float: Double? { if case .float(let v) = kind { v } else { nil } }
    public var boolean: Bool? { if case .boolean(let v) = kind { v } else { nil } }
    public var array: [TOMLValue]? { if case .array(let v) = kind { v } else { nil } }
    public var table: TOMLTable? { if case .table(let v) = kind { v } else { nil } }
}
