import NetworkProgress
import Testing

/// The progress rules without I/O: times are given, not measured.
@Suite("Progress deadline (rules, no I/O)")
struct ProgressDeadlineTests {
    let limits = ProgressLimits(responseDeadline: 60, minimumRate: 1024, window: 30)

    @Test("a greeting trickled a byte at a time expires at the response deadline, counted from connecting")
    func trickledGreeting() {
        var deadline = ProgressDeadline(limits: limits)
        deadline.expect("the greeting", at: 0)
        for second in 1..<60 {
            deadline.received(1, completed: false, position: .line, at: Double(second))
            #expect(deadline.check(at: Double(second)) == nil)
        }
        #expect(deadline.check(at: 60) == .line(what: "the greeting", seconds: 60, bytes: 59))
    }

    @Test("a line that completes in time clears the deadline; nothing owed never expires")
    func completedLine() {
        var deadline = ProgressDeadline(limits: limits)
        deadline.expect("the greeting", at: 0)
        deadline.received(20, completed: true, position: .boundary, at: 5)
        #expect(!deadline.isTimingLine)
        #expect(deadline.check(at: 10_000) == nil)
    }

    @Test("a response line starts its deadline at its first byte, and a new line in the same read restarts it")
    func lineStartsAtFirstByte() {
        var deadline = ProgressDeadline(limits: limits)
        deadline.received(3, completed: false, position: .line, at: 100)
        #expect(deadline.check(at: 159) == nil)
        // One response ended and the next began in this read: its clock starts now.
        deadline.received(50, completed: true, position: .line, at: 159)
        #expect(deadline.check(at: 218) == nil)
        #expect(deadline.check(at: 219) == .line(what: "a response line", seconds: 60, bytes: 0))
    }

    @Test("a long line arriving at the minimum rate is not cut; a slower one is")
    func longFastLine() {
        var fast = ProgressDeadline(limits: limits)
        var slow = ProgressDeadline(limits: limits)
        fast.received(1, completed: false, position: .line, at: 0)
        slow.received(1, completed: false, position: .line, at: 0)
        for second in 1...90 {
            fast.received(2048, completed: false, position: .line, at: Double(second))
            slow.received(100, completed: false, position: .line, at: Double(second))
            #expect(fast.check(at: Double(second)) == nil)
        }
        #expect(slow.check(at: 90) != nil)
    }

    @Test("message data below the minimum rate over a window expires; data at the rate goes on")
    func rate() {
        var slow = ProgressDeadline(limits: limits)
        var fast = ProgressDeadline(limits: limits)
        slow.received(40, completed: true, position: .bulk, at: 0)
        fast.received(40, completed: true, position: .bulk, at: 0)
        for second in 1...29 {
            slow.received(1, completed: true, position: .bulk, at: Double(second))
            fast.received(4096, completed: true, position: .bulk, at: Double(second))
            #expect(slow.check(at: Double(second)) == nil)
            #expect(fast.check(at: Double(second)) == nil)
        }
        #expect(slow.check(at: 30) == .rate(bytes: 29, seconds: 30, minimum: 1024))
        #expect(fast.check(at: 30) == nil)
        #expect(fast.isTimingRate)
        // The next window of the fast message starts empty: nothing more arrives, so it expires.
        #expect(fast.check(at: 59) == nil)
        #expect(fast.check(at: 60) == .rate(bytes: 0, seconds: 30, minimum: 1024))
    }

    @Test("while reads are paused nothing expires, and the clocks restart when they resume")
    func pausedReads() {
        var deadline = ProgressDeadline(limits: limits)
        deadline.received(10, completed: true, position: .bulk, at: 0)
        deadline.pause()
        #expect(deadline.check(at: 10_000) == nil)
        deadline.resume(at: 10_000)
        #expect(deadline.check(at: 10_029) == nil)
        #expect(deadline.check(at: 10_030) == .rate(bytes: 0, seconds: 30, minimum: 1024))

        var line = ProgressDeadline(limits: limits)
        line.expect("the greeting", at: 0)
        line.pause()
        #expect(line.check(at: 500) == nil)
        line.resume(at: 500)
        #expect(line.check(at: 559) == nil)
        #expect(line.check(at: 560) != nil)
    }

    @Test("limits at 0 turn the rules off")
    func off() {
        var deadline = ProgressDeadline(limits: .off)
        deadline.expect("the greeting", at: 0)
        deadline.received(1, completed: false, position: .line, at: 1)
        #expect(deadline.check(at: 100_000) == nil)
        deadline.received(1, completed: true, position: .bulk, at: 2)
        #expect(deadline.check(at: 200_000) == nil)
        #expect(!ProgressLimits.off.isActive)
        #expect(ProgressLimits.standard.isActive)
        #expect(ProgressLimits.standard.responseDeadline <= 120 && ProgressLimits.standard.window <= 120)
    }

    @Test("the errors say what was slow and by how much")
    func descriptions() {
        let line = ProgressDeadline.Expiry.line(what: "the greeting", seconds: 60.2, bytes: 12)
        #expect(line.description.contains("the greeting was not complete 60 s"))
        #expect(line.description.contains("12 byte(s)"))
        let rate = ProgressDeadline.Expiry.rate(bytes: 300, seconds: 30, minimum: 1024)
        #expect(rate.description.contains("10 bytes/s"))
        #expect(rate.description.contains("1024 bytes/s"))
    }
}
