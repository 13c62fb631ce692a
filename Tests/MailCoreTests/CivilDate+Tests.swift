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
}
