import MailCore

/// Cuts a stream of chunks into lines, carrying a partial line from one chunk to the next.
/// A line longer than `maximumCarry` is handed over in pieces (`startsLine` false for the rest).
struct LineSplitter {
    let maximumCarry: Int
    private var carry: [UInt8] = []
    private var carryStartsLine = true

    init(maximumCarry: Int = 64 * 1024) { self.maximumCarry = maximumCarry }

    /// Calls `body(line, startsLine, complete)` for every complete line or forced piece in `chunk`.
    mutating func feed(
        _ chunk: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, Bool, Bool) throws -> Void
    ) rethrows {
        var position = 0
        while position < chunk.count {
            let rest = UnsafeRawBufferPointer(rebasing: chunk[position...])
            guard let lf = LineEndings.firstIndex(of: 0x0a, in: rest) else {
                carry.append(contentsOf: rest)
                if carry.count >= maximumCarry {
                    try carry.withUnsafeBytes { try body($0, carryStartsLine, false) }
                    carry.removeAll(keepingCapacity: true)
                    carryStartsLine = false
                }
                return
            }
            let line = UnsafeRawBufferPointer(rebasing: rest[0...lf])
            if carry.isEmpty {
                try body(line, carryStartsLine, true)
            } else {
                carry.append(contentsOf: line)
                try carry.withUnsafeBytes { try body($0, carryStartsLine, true) }
                carry.removeAll(keepingCapacity: true)
            }
            carryStartsLine = true
            position += lf + 1
        }
    }

    /// Hands over a last line without a terminator, if any.
    mutating func finish(_ body: (UnsafeRawBufferPointer, Bool, Bool) throws -> Void) rethrows {
        guard !carry.isEmpty else { return }
        try carry.withUnsafeBytes { try body($0, carryStartsLine, true) }
        carry.removeAll()
        carryStartsLine = true
    }
}
