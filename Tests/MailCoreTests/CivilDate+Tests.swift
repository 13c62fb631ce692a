import Foundation
import MailCore
import Testing

@Suite struct CivilDateTests {
    @Test(arguments: [
        (1970, 1, 1, 0), (1969, 12, 31, -1), (2000, 3, 1, 11_017), (2024, 2, 29, 19_782), (1900, 3, 1, -25_508),
        (2100, 3, 1, 47_541), (0, 3, 1, -719_468),
    ])
    func daysAndBack(year: Int, month: Int, day: Int, days: Int) {
        #expect(CivilDate.days(year: year, month: month, day: day) == days)
        #expect(CivilDate.civil(fromDays: days) == (year, month, day))
    }

    @Test func everyDayOfFourCenturiesRoundTrips() {
        var previous = CivilDate.civil(fromDays: -146_098)
        var wrong: [Int] = []
        for days in -146_097...146_097 {
            let date = CivilDate.civil(fromDays: days)
            if CivilDate.days(year: date.year, month: date.month, day: date.day) != days
                || (date.day != 1 && date.day != previous.day + 1)
                || !(1...CivilDate.daysIn(month: date.month, year: date.year)).contains(date.day)
            {
                wrong.append(days)
            }
            previous = date
        }
        #expect(wrong.isEmpty, "days that do not round-trip: \(wrong.prefix(10))")
    }

    @Test(arguments: [(2, 2000, 29), (2, 1900, 28), (2, 2024, 29), (2, 2023, 28), (4, 2023, 30), (12, 2023, 31)])
    func monthLengths(month: Int, year: Int, length: Int) {
        #expect(CivilDate.daysIn(month: month, year: year) == length)
    }

    @Test func textForms() {
        let date = Date(timeIntervalSince1970: 1_700_000_000)  // 2023-11-14 22:13:20 UTC
        #expect(CivilDate.dayText(date) == "2023-11-14")
        #expect(CivilDate.timeText(date) == "221320")
        #expect(CivilDate.dayText(Date(timeIntervalSince1970: -1)) == "1969-12-31")
    }

    @Test("ISO 8601 texts read as the instant they name", arguments: [
        ("2019-01-01T00:00:00Z", 1_546_300_800.0),
        ("1969-12-31T23:59:59Z", -1.0),
        ("2024-02-29T12:30:15+02:00", 1_709_202_615.0),
        ("2024-02-29T12:30:15-00:30", 1_709_211_615.0),
        ("2024-02-29T12:30:15+0200", 1_709_202_615.0),
        ("2024-02-29T12:30:15.250Z", 1_709_209_815.25),
        ("0001-01-01T00:00:00Z", -62_135_596_800.0),
        ("10000-01-01T00:00:00Z", 253_402_300_800.0),
        ("-0001-12-31T23:59:59Z", -62_167_219_201.0),
    ])
    func readsISO8601(text: String, seconds: Double) {
        #expect(CivilDate.iso8601Date(text)?.timeIntervalSince1970 == seconds)
    }

    @Test("what is not an ISO 8601 time is refused", arguments: [
        "", "yesterday", "2019-01-01T00:00:00Zjunk", "2019-01-01T00:00:00+02:00x", "2019-02-30T00:00:00Z", "2019-01-01T24:00:00Z",
        "2019-01-01 00:00:00Z", "2019-01-01T00:00:00", "2019-1-01T00:00:00Z", "2019-01-01T00:00:00+2:00",
        "2016-12-31T23:59:60Z", "2019-01-01T00:00:00.Z", "019-01-01T00:00:00Z",
    ])
    func refusesOtherText(text: String) {
        #expect(CivilDate.iso8601Date(text) == nil)
    }

    @Test("dates are written as Foundation's ISO 8601 style writes them, and read back")
    func writesLikeFoundation() throws {
        var wrong: [String] = []
        // Every 97,231 seconds from 1900 to 2100: all months, leap days, times of day.
        var seconds = -2_208_988_800.0
        while seconds < 4_102_444_800 {
            let date = Date(timeIntervalSince1970: seconds)
            let text = CivilDate.iso8601Text(date)
            if text != date.formatted(Date.ISO8601FormatStyle()) || CivilDate.iso8601Date(text) != date { wrong.append(text) }
            seconds += 97_231
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(5))")
        // Years ISO 8601 writes expanded round-trip too (a file's mtime can be anything).
        for seconds in [253_402_300_800.0, 1e12, -62_167_219_201.0, -1e11] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(CivilDate.iso8601Date(CivilDate.iso8601Text(date)) == date, "\(CivilDate.iso8601Text(date))")
        }
        // JSON written with the strategy reads back with it, and with Foundation's.
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .utcISO8601
        let data = try encoder.encode([date])
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        #expect(try decoder.decode([Date].self, from: data) == [date])
        decoder.dateDecodingStrategy = .utcISO8601
        #expect(try decoder.decode([Date].self, from: data) == [date])
    }
}
