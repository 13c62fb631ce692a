/// A TOML date, time or date-time, validated and kept as written (see `TOMLValue.Kind.dateTime`).
public struct TOMLDateTime: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case offsetDateTime = "offset date-time"
        case localDateTime = "local date-time"
        case localDate = "local date"
        case localTime = "local time"
    }

    public var kind: Kind
    /// The source text, e.g. `1979-05-27T07:32:00Z`.
    public var text: String

    public init(kind: Kind, text: String) {
        self.kind = kind
        self.text = text
    }

    public var description: String { text }
}
