import Foundation
import MailCore

/// A file one thread is writing while another reads it back: the writer announces how far the
/// file is written; the reader waits for bytes beyond its position. Lets a volume be verified
/// on a second core while it is still being compressed, instead of in a pass afterwards.
final class GrowingFile: @unchecked Sendable {
    private let condition = NSCondition()
    private var available: Int64 = 0
    private var finished = false
    private var abandoned = false

    /// The writer: the file holds `size` bytes now.
    func grew(to size: Int64) {
        condition.lock()
        available = size
        condition.broadcast()
        condition.unlock()
    }

    /// The writer: no more bytes will come (`abandoned`: the reader should stop at once).
    func finish(abandoned: Bool = false) {
        condition.lock()
        finished = true
        self.abandoned = abandoned
        condition.broadcast()
        condition.unlock()
    }

    /// The reader: waits until bytes beyond `offset` exist; returns the end of what is written,
    /// `offset` itself at the end of the file, or `nil` when the writer gave up.
    func waitForBytes(beyond offset: Int64) -> Int64? {
        condition.lock()
        defer { condition.unlock() }
        while available <= offset && !finished { condition.wait() }
        if abandoned { return nil }
        return max(available, offset)
    }
}

/// libarchive's read callback over a ``GrowingFile``: reads with `pread` up to what is written.
final class GrowingFileSource {
    let fd: Int32
    let growing: GrowingFile
    private(set) var offset: Int64 = 0
    let buffer: UnsafeMutableRawPointer
    static let bufferSize = 256 * 1024

    init(fd: Int32, growing: GrowingFile) {
        self.fd = fd
        self.growing = growing
        buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.bufferSize, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// The next bytes: their count (0 at the end), or -1 when the writer gave up or reading failed.
    func read() -> Int {
        guard let end = growing.waitForBytes(beyond: offset) else { return -1 }
        let want = Int(min(Int64(Self.bufferSize), end - offset))
        guard want > 0 else { return 0 }
        while true {
            let got = pread(fd, buffer, want, off_t(offset))
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { return -1 }
            offset += Int64(got)
            return got
        }
    }
}
