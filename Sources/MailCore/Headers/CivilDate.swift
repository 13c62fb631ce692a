import Foundation

/// Calendar arithmetic in UTC on the proleptic Gregorian calendar (H. Hinnant's civil-day
/// algorithms), so that dates in volume names and cutoffs need no locale or time-zone data.
public enum CivilDate {
    /// Days since 1970-01-01 of a date.
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date of a day number (days since 1970-01-01).
    public static func civil(fromDays value: Int) -> (year: Int, month: Int, day: Int) {
        let z = value + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (floored) and seconds into that day, in UTC.
    public static func parts(_ date: Date) -> (days: Int, seconds: Int) {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        return (days, seconds - days * 86_400)
    }

    /// `YYYY-MM-DD`.
    public static func dayText(_ date: Date) -> String {
        let (year, month, day) = civil(fromDays: parts(date).days)
        return "\(year)-\(two(month))-\(two(day))"
    }

    /// `HHMMSS`.
    public static func timeText(_ date: Date) -> String {
        let seconds = parts(date).seconds
        return two(seconds / 3600) + two(seconds / 60 % 60) + two(seconds % 60)
    }

    /// `YYYY-MM-DD HH:MM:SS UTC`, for people.
    public static func clockText(_ date: Date) -> String {
        let seconds = parts(date).seconds
        return "\(dayText(date)) \(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60)) UTC"
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` (ISO 8601, whole seconds, UTC), as MailFerry's JSON writes dates.
    /// A year past 9999 has more digits, one before year 0 a minus sign (ISO 8601's expanded years).
    public static func iso8601Text(_ date: Date) -> String {
        let (days, seconds) = parts(date)
        let (year, month, day) = civil(fromDays: days)
        let digits = String(year.magnitude)
        let yearText = (year < 0 ? "-" : "") + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        return yearText + "-\(two(month))-\(two(day))T\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS` (the year may have more digits or a minus sign, as
    /// ``iso8601Text(_:)`` writes it) with an optional fraction and `Z` or a `±HH:MM` (or `±HHMM`)
    /// offset — strictly: an impossible day or time (no leap second) or trailing text is `nil`,
    /// never rolled over.
    public static func iso8601Date(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func isDigit(_ index: Int) -> Bool { index < bytes.count && bytes[index] >= 48 && bytes[index] <= 57 }
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count, range.allSatisfy(isDigit) else { return nil }
            return range.reduce(0) { $0 * 10 + Int(bytes[$1] - 48) }
        }
        func at(_ index: Int, _ character: Character) -> Bool {
            index < bytes.count && bytes[index] == character.asciiValue!
        }
        // The year: at least four digits (at most nine), perhaps after a minus sign.
        let negative = at(0, "-")
        var end = negative ? 1 : 0
        while isDigit(end) { end += 1 }
        let yearDigits = end - (negative ? 1 : 0)
        guard (4...9).contains(yearDigits), let magnitude = number((negative ? 1 : 0)..<end) else { return nil }
        let year = negative ? -magnitude : magnitude
        let b = end  // where "-MM-DDTHH:MM:SS" starts
        guard at(b, "-"), let month = number(b + 1..<b + 3), at(b + 3, "-"), let day = number(b + 4..<b + 6),
            at(b + 6, "T"), let hour = number(b + 7..<b + 9), at(b + 9, ":"), let minute = number(b + 10..<b + 12),
            at(b + 12, ":"), let second = number(b + 13..<b + 15), (1...12).contains(month),
            (1...daysIn(month: month, year: year)).contains(day), hour < 24, minute < 60, second < 60
        else { return nil }
        var index = b + 15
        var fraction = 0.0
        if at(index, ".") {
            index += 1
            guard isDigit(index) else { return nil }
            var scale = 0.1
            while isDigit(index) {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offset = 0
        if at(index, "Z") && index + 1 == bytes.count {
            offset = 0
        } else if at(index, "+") || at(index, "-"), let hours = number(index + 1..<index + 3), hours < 24,
            let minutes = at(index + 3, ":") && index + 6 == bytes.count
                ? number(index + 4..<index + 6) : index + 5 == bytes.count ? number(index + 3..<index + 5) : nil,
            minutes < 60
        {
            offset = (hours * 3600 + minutes * 60) * (at(index, "-") ? -1 : 1)
        } else {
            return nil
        }
        let seconds = days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}

extension JSONEncoder.DateEncodingStrategy {
    /// ISO 8601 in UTC, whole seconds (``CivilDate/iso8601Text(_:)``): what `.iso8601` writes,
    /// without loading time-zone data.
    public static var utcISO8601: Self {
        .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(CivilDate.iso8601Text(date))
        }
    }
}

extension JSONDecoder.DateDecodingStrategy {
    /// Reads what ``JSONEncoder/DateEncodingStrategy/utcISO8601`` (or `.iso8601`) writes.
    public static var utcISO8601: Self {
        .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = CivilDate.iso8601Date(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 date: \(text)")
            }
            return date
        }
    }
}
