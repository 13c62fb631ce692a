extension TOMLReader {
    /// `YYYY-MM-DD` with a real month and day.
    static func isDate(_ s: ArraySlice<UInt8>) -> Bool {
        guard s.count == 10 else { return false }
        let b = Array(s)
        guard b[4] == .minus, b[7] == .minus, let year = number(b, 0, 4), let month = number(b, 5, 2),
            let day = number(b, 8, 2), (1...12).contains(month)
        else { return false }
        return (1...daysIn(month: month, year: year)).contains(day)
    }

    /// `HH:MM:SS[.fraction]`.
    static func isTime(_ s: ArraySlice<UInt8>) -> Bool {
        let b = Array(s)
        guard b.count >= 8, b[2] == .colon, b[5] == .colon, let hour = number(b, 0, 2), let minute = number(b, 3, 2),
            let second = number(b, 6, 2), hour < 24, minute < 60, second <= 60
        else { return false }
        if b.count == 8 { return true }
        return b[8] == .dot && b.count > 9 && b[9...].allSatisfy(\.isDigit)
    }

    /// Classifies a date-time token, or nil when it is not a valid TOML 1.0 date or time.
    static func dateTimeKind(_ token: [UInt8]) -> TOMLDateTime.Kind? {
        if isTime(token[...]) { return .localTime }
        guard token.count >= 10, isDate(token[0..<10]) else { return nil }
        if token.count == 10 { return .localDate }
        let separator = token[10]
        guard separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t") || separator == .space else { return nil }
        var time = token[11...]
        if time.last == UInt8(ascii: "Z") || time.last == UInt8(ascii: "z") {
            time = time.dropLast()
            return isTime(time) ? .offsetDateTime : nil
        }
        if time.count > 6 {
            let offsetStart = time.endIndex - 6
            let offset = Array(time[offsetStart...])
            if offset[0] == .plus || offset[0] == .minus {
                guard offset[3] == .colon, let hours = number(offset, 1, 2), let minutes = number(offset, 4, 2),
                    hours < 24, minutes < 60, isTime(time[..<offsetStart])
                else { return nil }
                return .offsetDateTime
            }
        }
        return isTime(time) ? .localDateTime : nil
    }

    private static func number(_ b: [UInt8], _ from: Int, _ count: Int) -> Int? {
        guard from >= 0, from + count <= b.count else { return nil }
        var value = 0
        for c in b[from..<(from + count)] {
            guard c.isDigit else { return nil }
            value = value * 10 + Int(c - 0x30)
        }
        return value
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
