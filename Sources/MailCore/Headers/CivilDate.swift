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

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
