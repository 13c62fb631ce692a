import Engine
import Foundation
import Synchronization
import Testing

@Suite("Rate cap (--max-bytes-per-second)")
struct RateLimiterTests {
    /// A clock that only moves when the limiter sleeps (or the test says so).
    final class FakeClock: Sendable {
        let time = Mutex<TimeInterval>(100)
        let sleeps = Mutex<[TimeInterval]>([])

        func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
    }

    func limiter(_ clock: FakeClock, rate: Int) -> RateLimiter {
        RateLimiter(
            bytesPerSecond: rate, now: { clock.time.withLock { $0 } },
            sleep: { seconds in
                clock.sleeps.withLock { $0.append(seconds) }
                clock.advance(seconds)
            })
    }

    @Test("a run ahead of the pace waits exactly until it is back on it; one behind does not wait")
    func pace() async {
        let clock = FakeClock()
        let limiter = limiter(clock, rate: 1_000)
        #expect(await limiter.stored(500) == 0.5)  // 500 bytes at once: due at 0.5 s
        clock.advance(2)  // a slow source: 2.5 s have passed for 500 bytes
        #expect(await limiter.stored(1_000) == 0)  // 1,500 bytes due at 1.5 s: behind, no wait
        #expect(await limiter.stored(2_000) == 1)  // 3,500 bytes due at 3.5 s, now 2.5 s
        #expect(clock.sleeps.withLock { $0 } == [0.5, 1])
    }

    @Test("the average over a run is the cap", arguments: [1_000, 65_536, 2 << 20])
    func average(rate: Int) async {
        let clock = FakeClock()
        let limiter = limiter(clock, rate: rate)
        var total = 0
        for batch in 1...50 {
            let bytes = batch * 997
            total += bytes
            _ = await limiter.stored(bytes)
        }
        let elapsed = clock.time.withLock { $0 } - 100
        #expect(abs(elapsed - Double(total) / Double(rate)) < 0.01)
    }
}
