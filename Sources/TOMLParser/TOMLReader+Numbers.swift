extension TOMLReader {
    /// Integers, floats and date-times share a first character set; read the whole token, then
    /// decide by its shape.
    mutating func numberOrDate() throws(TOMLError) -> TOMLValue {
        let start = position
        let from = offset
        while let c = peek(), c.isBareKey || c == .plus || c == .dot || c == .colon {
            offset += 1
            // A date and a time may be separated by one space: `1979-05-27 07:32:00`.
            if offset - from == 10, peek() == .space, peek(1)?.isDigit == true, peek(2)?.isDigit == true,
                peek(3) == .colon, Self.isDate(bytes[from..<offset])
            {
                offset += 1
            }
        }
        let token = Array(bytes[from..<offset])
        let text = String(decoding: token, as: UTF8.self)
        if let special = Self.specialFloats[text] { return TOMLValue(.float(special), at: start) }
        if token.contains(.colon) || (token.count >= 5 && token[0..<4].allSatisfy(\.isDigit) && token[4] == .minus) {
            guard let kind = Self.dateTimeKind(token) else {
                throw error(
                    "invalid date or time `\(text)`; write 1979-05-27, 07:32:00, 1979-05-27T07:32:00 or 1979-05-27T07:32:00Z",
                    at: start)
            }
            return TOMLValue(.dateTime(TOMLDateTime(kind: kind, text: text)), at: start)
        }
        if token.count > 2, token[0] == UInt8(ascii: "0"), let radix = Self.radixes[token[1]] {
            let digits = token[2...]
            guard Self.isDigitRun(digits, radix: radix), let value = Int64(Self.removingUnderscores(digits), radix: radix) else {
                throw error(
                    Self.isDigitRun(digits, radix: radix)
                        ? "`\(text)` does not fit in a 64-bit signed integer"
                        : "`\(text)` is not a valid base-\(radix) integer; digits may be separated by single `_`",
                    at: start)
            }
            return TOMLValue(.integer(value), at: start)
        }
        if token.contains(where: { $0 == .dot || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            guard Self.isFloat(token), let value = Double(Self.removingUnderscores(token[...])) else {
                throw error("`\(text)` is not a valid number; floats look like 3.14, -0.5, 1e6 or 6.02e23", at: start)
            }
            return TOMLValue(.float(value), at: start)
        }
        let unsigned = token.first == .plus || token.first == .minus ? token[1...] : token[...]
        guard Self.isDigitRun(unsigned, radix: 10) else {
            throw error("`\(text)` is not a valid value; numbers are written like 42, 1_000, 0xFF or 3.5; strings need quotes", at: start)
        }
        guard unsigned.count == 1 || unsigned.first != UInt8(ascii: "0") else {
            throw error("leading zeros are not allowed in `\(text)`; write it without them (or 0o for octal)", at: start)
        }
        guard let value = Int64(Self.removingUnderscores(token[...])) else {
            throw error("`\(text)` does not fit in a 64-bit signed integer", at: start)
        }
        return TOMLValue(.integer(value), at: start)
    }

    private static let specialFloats: [String: Double] = [
        "inf": .infinity, "+inf": .infinity, "-inf": -.infinity, "nan": .nan, "+nan": .nan, "-nan": -.nan,
    ]

    private static let radixes: [UInt8: Int] = [UInt8(ascii: "x"): 16, UInt8(ascii: "o"): 8, UInt8(ascii: "b"): 2]

    private static func isDigit(_ c: UInt8, radix: Int) -> Bool {
        switch radix {
        case 16: c.isHexDigit
        case 8: (0x30...0x37).contains(c)
        case 2: c == 0x30 || c == 0x31
        default: c.isDigit
        }
    }

    /// Digits with single underscores between them: `1_000`, not `_1`, `1_`, `1__0`.
    static func isDigitRun(_ s: ArraySlice<UInt8>, radix: Int) -> Bool {
        guard let first = s.first, let last = s.last, isDigit(first, radix: radix), isDigit(last, radix: radix) else {
            return false
        }
        var previous: UInt8 = 0
        for c in s {
            if c == .underscore {
                if previous == .underscore { return false }
            } else if !isDigit(c, radix: radix) {
                return false
            }
            previous = c
        }
        return true
    }

    static func removingUnderscores(_ s: ArraySlice<UInt8>) -> String {
        String(decoding: s.filter { $0 != .underscore }, as: UTF8.self)
    }

    /// `[+-] int [. digits] [e [+-] digits]` with at least a fraction or an exponent.
    static func isFloat(_ token: [UInt8]) -> Bool {
        var rest = token[...]
        if rest.first == .plus || rest.first == .minus { rest = rest.dropFirst() }
        let exponentAt = rest.firstIndex { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        let mantissa = exponentAt.map { rest[..<$0] } ?? rest
        let dotAt = mantissa.firstIndex(of: .dot)
        let integer = dotAt.map { mantissa[..<$0] } ?? mantissa
        guard isDigitRun(integer, radix: 10), integer.count == 1 || integer.first != UInt8(ascii: "0") else { return false }
        if let dotAt, !isDigitRun(mantissa[(dotAt + 1)...], radix: 10) { return false }
        if let exponentAt {
            var exponent = rest[(exponentAt + 1)...]
            if exponent.first == .plus || exponent.first == .minus { exponent = exponent.dropFirst() }
            if !isDigitRun(exponent, radix: 10) { return false }
        }
        return dotAt != nil || exponentAt != nil
    }
}
