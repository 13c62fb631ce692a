/// A set of UIDs (or sequence numbers) as IMAP writes them, `1:5,7,9:*`, kept as ranges: a set
/// covering millions of messages is a handful of ranges, never an array of millions.
public struct UIDSet: Sendable, Hashable, CustomStringConvertible {
    /// Disjoint, sorted, non-adjacent ranges. `UInt32.max` stands for `*`.
    public private(set) var ranges: [ClosedRange<UInt32>]

    public init() { ranges = [] }

    public init<S: Sequence>(_ values: S) where S.Element == UInt32 {
        self.init()
        for value in values.sorted() { insert(value...value) }
    }

    public init(ranges: [ClosedRange<UInt32>]) {
        self.init()
        for range in ranges { insert(range) }
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

    /// The values in order (only for sets known to be small).
    public var values: [UInt32] { ranges.flatMap { Array($0) } }

    /// `1:5,7,9:*`.
    public var description: String {
        ranges.map { range in
            let upper = range.upperBound == UInt32.max ? "*" : String(range.upperBound)
            return range.lowerBound == range.upperBound ? upper : "\(range.lowerBound):\(upper)"
        }.joined(separator: ",")
    }

    /// Parses `1:5,7,9:*` (`*` as `UInt32.max`); `nil` for anything else.
    public init?(parsing text: String) {
        self.init()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: ":", omittingEmptySubsequences: false)
            guard bounds.count == 1 || bounds.count == 2 else { return nil }
            var numbers: [UInt32] = []
            for bound in bounds {
                if bound == "*" {
                    numbers.append(UInt32.max)
                } else if let value = UInt32(bound), value > 0 {
                    numbers.append(value)
                } else {
                    return nil
                }
            }
            let low = min(numbers[0], numbers[numbers.count - 1])
            let high = max(numbers[0], numbers[numbers.count - 1])
            insert(low...high)
        }
        if ranges.isEmpty { return nil }
    }
}
