/// Reads a message once, in chunks, and finds what a ``RepairPolicy`` would repair, so that the
/// common case — nothing to repair — costs one pass and no copy. The loop keeps its state in
/// locals and decides most bytes with one comparison (every byte above CR is ordinary text).
struct RepairScanner {
    let policy: RepairPolicy
    private(set) var findings = MessageRepair.Findings()
    private var inHeader = true
    private var lineLength = 0
    private var pendingCR = false
    /// The first line break's style: `nil` before any, then whether it was CRLF.
    private var crlfStyle: Bool?
    private var last: UInt8?
    private var total = 0

    init(policy: RepairPolicy) { self.policy = policy }

    mutating func feed(_ chunk: UnsafeRawBufferPointer) {
        guard let base = chunk.baseAddress?.assumingMemoryBound(to: UInt8.self), chunk.count > 0 else { return }
        total += chunk.count
        last = base[chunk.count - 1]
        var inHeader = self.inHeader
        var lineLength = self.lineLength
        var pendingCR = self.pendingCR
        var crlfStyle = self.crlfStyle
        var needed = findings.needed
        let limit = policy.maximumLineLength
        let eightBit = policy.encode8BitHeaders
        var longBodyLines = findings.longBodyLines
        var longestBodyLine = findings.longestBodyLine

        @inline(__always) func endLine() {
            if lineLength > limit {
                if inHeader {
                    needed.insert(.longHeaderLine)
                } else {
                    longBodyLines += 1
                    if lineLength > longestBodyLine { longestBodyLine = lineLength }
                }
            } else if inHeader && lineLength == 0 {
                inHeader = false
            }
            lineLength = 0
        }

        var index = 0
        let count = chunk.count
        while index < count {
            let byte = base[index]
            index += 1
            if byte > 0x0d {
                if pendingCR {
                    pendingCR = false
                    if policy.lineBreaks { needed.insert(.bareCarriageReturn) }
                    endLine()
                }
                lineLength += 1
                if byte >= 0x80 && inHeader && eightBit { needed.insert(.eightBitHeader) }
                continue
            }
            if byte == 0 {
                if policy.removeNUL { needed.insert(.nul) }
                continue
            }
            if pendingCR {
                pendingCR = false
                if byte == 0x0a {
                    if crlfStyle == nil { crlfStyle = true }
                    endLine()
                    continue
                }
                if policy.lineBreaks { needed.insert(.bareCarriageReturn) }
                endLine()
            }
            switch byte {
            case 0x0d:
                pendingCR = true
            case 0x0a:
                if crlfStyle == nil {
                    crlfStyle = false
                } else if crlfStyle == true, policy.lineBreaks {
                    needed.insert(.bareLineFeed)
                }
                endLine()
            default:
                lineLength += 1
            }
        }
        self.inHeader = inHeader
        self.lineLength = lineLength
        self.pendingCR = pendingCR
        self.crlfStyle = crlfStyle
        findings.needed = needed
        findings.longBodyLines = longBodyLines
        findings.longestBodyLine = longestBodyLine
    }

    mutating func finish() -> MessageRepair.Findings {
        if pendingCR {
            pendingCR = false
            if policy.lineBreaks { findings.needed.insert(.bareCarriageReturn) }
            closeLine()
        } else if lineLength > 0 {
            closeLine()
        }
        if total > 0, last != 0x0a, policy.finalLineBreak {
            // A message ending in a bare CR gets its LF from the line-break repair.
            if !(last == 0x0d && policy.lineBreaks) { findings.needed.insert(.finalLineBreak) }
        }
        return findings
    }

    private mutating func closeLine() {
        if lineLength > policy.maximumLineLength {
            if inHeader {
                findings.needed.insert(.longHeaderLine)
            } else {
                findings.longBodyLines += 1
                findings.longestBodyLine = max(findings.longestBodyLine, lineLength)
            }
        }
        lineLength = 0
    }
}
