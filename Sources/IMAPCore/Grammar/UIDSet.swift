/// A set of UIDs (or sequence numbers) as IMAP writes them, `1:5,7,9:*`, kept as ranges: a set
/// covering millions of messages is a handful of ranges, never an array of millions.
public struct UIDSet: Sendable, Hashable, CustomStringConvertible {
    /// Disjoint, sorted, non-adjacent ranges. `UInt32.max` stands for `*`.
    public private(set) var ranges: [ClosedRange<UInt32>]

    /// Most comma-separated parts ``init(validating:)`` accepts: a server's set is never expanded,
    /// but a line of millions of parts is still refused rather than worked through.
    public static let maximumParts = 1_000_000

    /// Why a set's text was refused.
    public enum ParseError: Error, Sendable, Hashable {
        /// Not `sequence-set` syntax (empty, `0`, letters, a part with two colons, …).
        case malformed
        /// More comma-separated parts than ``UIDSet/maximumParts``.
        case tooManyParts(maximum: Int)
    }

    public init() { ranges = [] }

    public init<S: Sequence>(_ values: S) where S.Element == UInt32 {
        self.init(ranges: values.map { $0...$0 })
    }

    public init(ranges: [ClosedRange<UInt32>]) {
        self.ranges = Self.normalized(ranges)
    }

    public var isEmpty: Bool { ranges.isEmpty }

    /// Number of values (a range ending in `*` counts up to `UInt32.max`).
    public var count: Int { ranges.reduce(0) { $0 + Int($1.upperBound - $1.lowerBound) + 1 } }

    public func contains(_ value: UInt32) -> Bool {
        var low = 0
        var high = ranges.count - 1
        while low <= high {
            let middle = (low + high) / 2
            if ranges[middle].contains(value) { return true }
            if value < ranges[middle].lowerBound { high = middle - 1 } else { low = middle + 1 }
        }
        return false
    }

    /// Adds one range (linear in the number of ranges; build large sets with ``init(ranges:)``).
    public mutating func insert(_ range: ClosedRange<UInt32>) {
        var merged = range
        var result: [ClosedRange<UInt32>] = []
        result.reserveCapacity(ranges.count + 1)
        var placed = false
        for existing in ranges {
            if existing.upperBound < merged.lowerBound && merged.lowerBound - existing.upperBound > 1 {
                result.append(existing)
            } else if merged.upperBound < existing.lowerBound && existing.lowerBound - merged.upperBound > 1 {
                if !placed {
                    result.append(merged)
                    placed = true
                }
                result.append(existing)
            } else {
                merged = min(existing.lowerBound, merged.lowerBound)...max(existing.upperBound, merged.upperBound)
            }
        }
        if !placed { result.append(merged) }
        ranges = result
    }

    /// Sorts once and merges overlapping or adjacent ranges: O(n log n), never O(n²).
    private static func normalized(_ input: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        let sorted = input.sorted { $0.lowerBound < $1.lowerBound }
        var result: [ClosedRange<UInt32>] = []
        result.reserveCapacity(sorted.count)
        for range in sorted {
            if let last = result.last, range.lowerBound <= last.upperBound || range.lowerBound - last.upperBound == 1 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

    /// The values in order (only for sets known to be small).
    public var values: [UInt32] { ranges.flatMap { Array($0) } }

    /// `1:5,7,9:*`.
    public var description: String {
        ranges.map { range in
            let upper = range.upperBound == UInt32.max ? "*" : String(range.upperBound)
            return range.lowerBound == range.upperBound ? upper : "\(range.lowerBound):\(upper)"
        }.joined(separator: ",")
    }

    /// Parses `1:5,7,9:*` (`*` as `UInt32.max`); `nil` for anything else, or for more than
    /// ``maximumParts`` parts.
    public init?(parsing text: String) {
        guard let set = try? UIDSet(validating: text) else { return nil }
        self = set
    }

    /// Parses `1:5,7,9:*` (`*` as `UInt32.max`) in one pass over the bytes, at most
    /// ``maximumParts`` parts; ranges are never expanded.
    public init(validating text: some StringProtocol) throws(ParseError) {
        var parts: [ClosedRange<UInt32>] = []
        var bounds: [UInt32] = []  // of the current part: one or two
        var number: UInt64 = 0
        var digits = 0
        var star = false
        func endBound() throws(ParseError) {
            guard (digits > 0) != star, star || (number > 0 && number <= UInt64(UInt32.max)), bounds.count < 2 else {
                throw .malformed
            }
            bounds.append(star ? UInt32.max : UInt32(number))
            (number, digits, star) = (0, 0, false)
        }
        func endPart() throws(ParseError) {
            try endBound()
            guard parts.count < Self.maximumParts else { throw .tooManyParts(maximum: Self.maximumParts) }
            let (a, b) = (bounds[0], bounds[bounds.count - 1])
            parts.append(min(a, b)...max(a, b))
            bounds.removeAll(keepingCapacity: true)
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard !star, digits < 10 else { throw .malformed }
                number = number * 10 + UInt64(byte - UInt8(ascii: "0"))
                digits += 1
            case UInt8(ascii: "*"):
                guard !star, digits == 0 else { throw .malformed }
                star = true
            case UInt8(ascii: ":"): try endBound()
            case UInt8(ascii: ","): try endPart()
            default: throw .malformed
            }
        }
        try endPart()
        self.init(ranges: parts)
    }
}
