#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Engine
import Foundation
import Synchronization

/// The crash half of the fault harness: with `MAILFERRY_FAULT_INJECTION=1` and
/// `MAILFERRY_CRASH_AT=k`, the process kills itself (SIGKILL, as `kill -9` would: no cleanup, no
/// flush) at the k-th checkpoint step of a copy. Tests loop k over every step and check that the
/// resumed run loses and duplicates nothing. Without both variables it does nothing.
enum FaultInjection {
    static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        -> (@Sendable (FaultPoint) -> Void)?
    {
        guard environment["MAILFERRY_FAULT_INJECTION"] == "1", let text = environment["MAILFERRY_CRASH_AT"],
            let target = Int(text), target > 0
        else { return nil }
        let counter = Atomic<Int>(0)
        return { point in
            let step = counter.wrappingAdd(1, ordering: .sequentiallyConsistent).newValue
            guard step == target else { return }
            Terminal.standardError("mailferry: fault injection: killed at checkpoint step \(step) (\(point.rawValue))")
            kill(getpid(), SIGKILL)
        }
    }
}
