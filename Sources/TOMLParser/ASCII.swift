/// The bytes the TOML grammar names, and the character classes it uses.
extension UInt8 {
    static let tab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22  // "
    static let hash: UInt8 = 0x23  // #
    static let apostrophe: UInt8 = 0x27  // '
    static let plus: UInt8 = 0x2B
    static let comma: UInt8 = 0x2C
    static let minus: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E
    static let colon: UInt8 = 0x3A
    static let equals: UInt8 = 0x3D
    static let openBracket: UInt8 = 0x5B  // [
    static let backslash: UInt8 = 0x5C
    static let closeBracket: UInt8 = 0x5D  // ]
    static let underscore: UInt8 = 0x5F
    static let openBrace: UInt8 = 0x7B  // {
    static let closeBrace: UInt8 = 0x7D  // }

    var isDigit: Bool { (0x30...0x39).contains(self) }
    var isHexDigit: Bool { isDigit || (0x41...0x46).contains(self) || (0x61...0x66).contains(self) }
    var isLetter: Bool { (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) }
    /// `A-Z a-z 0-9 _ -`, the characters of a bare key.
    var isBareKey: Bool { isLetter || isDigit || self == .underscore || self == .minus }
    /// Control characters TOML forbids in comments and strings (tab is allowed).
    var isForbiddenControl: Bool { (self < 0x20 && self != .tab) || self == 0x7F }

    /// `U+000D` form for messages.
    var hexScalar: String {
        let digits = String(self, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: 4 - digits.count) + digits
    }

    /// The byte as shown in messages: `x` for printable ASCII, `U+0007` otherwise.
    var described: String {
        (0x21...0x7E).contains(self) ? "`\(Character(Unicode.Scalar(self)))`" : (self < 0x80 ? hexScalar : "a non-ASCII character")
    }
}
