import IMAPCore
import NIOCore
import Testing

@Suite("UID sets from the server")
struct UIDSetTests {
    /// `1,3,5,…`: `count` parts none of which merge.
    func disjoint(_ count: Int) -> String {
        var text = ""
        text.reserveCapacity(count * 8)
        for index in 0..<count {
            if index > 0 { text += "," }
            text += String(2 * index + 1)
        }
        return text
    }

    @Test("parts in any order, overlapping, reversed or adjacent merge into sorted ranges")
    func merging() throws {
        let set = try UIDSet(validating: "9:*,5,3:1,4,7:8,2,20:12")
        #expect(set.ranges == [1...5, 7...UInt32.max])
        #expect(set.description == "1:5,7:*")
        #expect(try UIDSet(validating: "10,1,5:6,3").description == "1,3,5:6,10")
        #expect(UIDSet([7, 3, 1, 2, 9, 8]).description == "1:3,7:9")
        #expect(UIDSet(ranges: [20...30, 1...4, 5...5, 25...40]).ranges == [1...5, 20...40])
    }

    @Test("malformed sets are refused", arguments: ["", "0", "1:0", ",", "1,", ",1", "1::2", "1:2:3", "a", "*1", "1*", "**", "4294967296", "12345678901"])
    func malformed(text: String) {
        #expect(throws: UIDSet.ParseError.malformed) { try UIDSet(validating: text) }
        #expect(UIDSet(parsing: text) == nil)
    }

    @Test("a huge set is parsed in linear-ish time, its ranges never expanded", .timeLimit(.minutes(1)))
    func manyParts() throws {
        let start = ContinuousClock.now
        let set = try UIDSet(validating: disjoint(400_000))
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(set.ranges.count == 400_000)
        #expect(set.ranges.last == 799_999...799_999)
        let wide = try UIDSet(validating: "1:4294967294,4294967295")
        #expect(wide.ranges == [1...UInt32.max])
    }

    @Test("more than a million parts is a typed error, not a stall", .timeLimit(.minutes(1)))
    func tooManyParts() {
        #expect(throws: UIDSet.ParseError.tooManyParts(maximum: UIDSet.maximumParts)) {
            try UIDSet(validating: disjoint(UIDSet.maximumParts + 1))
        }
    }

    @Test("an unsolicited ESEARCH line with a million-part set is refused quickly", .timeLimit(.minutes(1)))
    func hostileESEARCH() {
        let line = Array("* ESEARCH (TAG \"X\") UID ALL \(disjoint(UIDSet.maximumParts + 1))\r\n".utf8)
        guard case .failure(.malformed(let expected, _)) = parseEvents([line]) else {
            Issue.record("expected a malformed-set error")
            return
        }
        #expect(expected.contains("at most 1000000 parts"))
    }

    @Test("a long but legal ESEARCH line still parses", .timeLimit(.minutes(1)))
    func longESEARCH() throws {
        let line = Array("* ESEARCH (TAG \"A5\") UID ALL \(disjoint(200_000)),400000:*\r\n".utf8)
        let events = try parseEvents([line]).get()
        guard case .response(.untagged(.extendedSearch(let result)))? = events.first else {
            Issue.record("expected ESEARCH, got \(events)")
            return
        }
        #expect(result.tag == "A5" && result.uid)
        #expect(result.all?.ranges.count == 200_000)
        #expect(result.all?.ranges.last == 399_999...UInt32.max)
    }
}
