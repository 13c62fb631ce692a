import Foundation
import MailCore

/// Removes header fields whose names match a glob (`--remove-header 'X-Spam-*'`, imapsync's
/// `--skipheader`), continuation lines included; only when asked. The body is copied as it is.
public struct HeaderRemoveTransform: MessageTransform {
    /// The globs (`*`, `?`), lower case; field names compare without regard to case.
    public let patterns: [String]
    public var name: String { "remove-header" }

    /// A header line longer than this ends the header scan: the rest is kept as it is.
    static let maximumLine = 1 << 20

    public init(patterns: [String]) throws {
        for pattern in patterns {
            guard !pattern.isEmpty, pattern.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: ":") }) else {
                throw MailError(.unsupported, scope: .store, retry: .never, "`\(pattern)` is not a header field name or glob")
            }
        }
        self.patterns = patterns.map { $0.lowercased() }
    }

    /// Whether a field called `name` goes.
    func removes(_ name: ArraySlice<UInt8>) -> Bool {
        let lower = Array(name.map { $0 >= 0x41 && $0 <= 0x5a ? $0 | 0x20 : $0 })[...]
        return patterns.contains { HeaderRule.glob(Array($0.utf8)[...], lower) }
    }

    public func apply(to envelope: MessageEnvelope) throws -> TransformOutcome {
        let spool = MessageSpool(expectedSize: envelope.size)
        var inHeader = true
        var dropping = false
        var line: [UInt8] = []
        var removed: [String: Int] = [:]
        var sawLineFeed = false
        func finishLine() throws {
            defer { line.removeAll(keepingCapacity: true) }
            let content = line.last == 0x0a ? line.dropLast(line.dropLast().last == 0x0d ? 2 : 1) : line[...]
            if content.isEmpty {
                inHeader = false  // the blank line: the body follows
            } else if content.first == 0x20 || content.first == 0x09 {
                if dropping { return }  // a continuation of a removed field
            } else if let colon = content.firstIndex(of: UInt8(ascii: ":")) {
                let name = content[..<colon]
                let trimmed = name.prefix { $0 != 0x20 && $0 != 0x09 }
                dropping = removes(trimmed)
                if dropping {
                    removed[String(decoding: trimmed, as: UTF8.self), default: 0] += 1
                    return
                }
            } else {
                dropping = false
            }
            try spool.append(line)
        }
        try envelope.data.forEachChunk { chunk in
            guard inHeader else { return try spool.append(chunk) }
            var start = chunk.startIndex
            for index in chunk.indices where inHeader {
                if chunk[index] == 0x0a {
                    sawLineFeed = true
                    line += chunk[start...index]
                    start = index + 1
                    try finishLine()
                } else if line.count + (index - start) > Self.maximumLine {
                    inHeader = false  // not a header line: keep everything from here on
                }
            }
            if inHeader {
                line += chunk[start...]
            } else {
                try spool.append(line)
                line.removeAll()
                try spool.append(UnsafeRawBufferPointer(rebasing: chunk[start...]))
            }
        }
        // Without any line feed there are no header lines to tell apart: the message stays whole.
        guard sawLineFeed else { return TransformOutcome(envelope: envelope) }
        if !line.isEmpty { try finishLine() }  // a message that is all header, without a final line break
        guard !removed.isEmpty else { return TransformOutcome(envelope: envelope) }
        let (data, fingerprint) = try spool.finish()
        var changed = envelope
        changed.data = data
        changed.fingerprint = fingerprint
        // A removed Message-ID or Date must not be looked for in the stored copy.
        let headers = HeaderScanner.scan(try data.prefix(HeaderScanner.scanLimit))
        changed.messageID = headers.messageID
        changed.dateHeader = headers.date
        return TransformOutcome(
            envelope: changed, changes: removed.keys.sorted().map { "\($0) removed\(removed[$0]! > 1 ? " (\(removed[$0]!)×)" : "")" })
    }
}
