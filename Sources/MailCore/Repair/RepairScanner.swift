/// Reads a message once, in chunks, and finds what a ``RepairPolicy`` would repair, so that the
/// common case — nothing to repair — costs one pass and no copy.
struct RepairScanner {
    let policy: RepairPolicy
    private(set) var findings = MessageRepair.Findings()
    private var inHeader = true
    private var lineLength = 0
    private var pendingCR = false
    private var crlfStyle: Bool?
    private var last: UInt8?
    private var total = 0

    init(policy: RepairPolicy) { self.policy = policy }

    mutating func feed(_ chunk: UnsafeRawBufferPointer) {
        total += chunk.count
        for byte in chunk { consume(byte) }
        if let final = chunk.last { last = final }
    }

    private mutating func consume(_ byte: UInt8) {
        if byte == 0 {
            if policy.removeNUL { findings.needed.insert(.nul) }
            return
        }
        if pendingCR {
            pendingCR = false
            if byte == 0x0a {
                if crlfStyle == nil { crlfStyle = true }
                endLine()
                return
            }
            if policy.lineBreaks { findings.needed.insert(.bareCarriageReturn) }
            endLine()
        }
        switch byte {
        case 0x0d:
            pendingCR = true
        case 0x0a:
            if crlfStyle == nil {
                crlfStyle = false
            } else if crlfStyle == true, policy.lineBreaks {
                findings.needed.insert(.bareLineFeed)
            }
            endLine()
        default:
            lineLength += 1
            if inHeader, byte >= 0x80, policy.encode8BitHeaders { findings.needed.insert(.eightBitHeader) }
        }
    }

    private mutating func endLine() {
        if lineLength > policy.maximumLineLength {
            if inHeader {
                findings.needed.insert(.longHeaderLine)
            } else {
                findings.longBodyLines += 1
                findings.longestBodyLine = max(findings.longestBodyLine, lineLength)
            }
        } else if inHeader && lineLength == 0 {
            inHeader = false
        }
        lineLength = 0
    }

    mutating func finish() -> MessageRepair.Findings {
        if pendingCR {
            pendingCR = false
            if policy.lineBreaks { findings.needed.insert(.bareCarriageReturn) }
            endLine()
        } else if lineLength > 0 {
            endLine()
        }
        if total > 0, last != 0x0a, policy.finalLineBreak {
            // A message ending in a bare CR gets its LF from the line-break repair.
            if !(last == 0x0d && policy.lineBreaks) { findings.needed.insert(.finalLineBreak) }
        }
        return findings
    }
}
